"""Registering repositories (by https URL, local path or GitHub name) and finding them,
within the caller's organization."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from libs.common.config import Settings
from libs.common.db import repos as repos_db
from libs.common.repourl import (
    InvalidRepositoryLocation,
    parse_https_url,
    parse_local_path,
    refuse_private_host,
)
from libs.common.schemas import Principal, RepoCreate, Repository
from services.api.http.errors import AppError, NotFound, ValidationFailed

# Connects a GitHub repository by OWNER/NAME for the caller (services.api.github_connect).
Connector = Callable[[str], Awaitable[tuple[Repository, bool]]]


class LocalReposDisabled(AppError):
    status = 400
    slug = "local-repositories-disabled"
    title = "Local repositories are disabled"


async def register(
    pool: asyncpg.Pool, settings: Settings, who: Principal, body: RepoCreate, github: Connector
) -> tuple[Repository, bool]:
    given = [name for name in ("url", "path", "github") if getattr(body, name) is not None]
    if len(given) != 1:
        raise ValidationFailed(
            "body: give exactly one of 'url', 'path' or 'github'.",
            errors=[{"field": "body", "message": "exactly one of url, path, github"}],
        )
    try:
        if body.url is not None:
            location = parse_https_url(body.url)
            if not settings.allow_private_repo_hosts:
                await refuse_private_host(location.clone_url)
        elif body.path is not None:
            if not settings.allow_local_repos:
                raise LocalReposDisabled(
                    "This server does not register local paths; set ALLOW_LOCAL_REPOS=true."
                )
            location = parse_local_path(body.path)
            if not os.path.isdir(location.clone_url):
                raise ValidationFailed(
                    f"path: {location.clone_url} is not a directory on this server",
                    errors=[{"field": "path", "message": "not a directory"}],
                )
        else:
            assert body.github is not None
            return await github(body.github)
    except InvalidRepositoryLocation as exc:
        field = "url" if body.url is not None else "path"
        raise ValidationFailed(
            f"{field}: {exc}", errors=[{"field": field, "message": str(exc)}]
        ) from None
    async with pool.acquire() as conn:
        return await repos_db.create_repository(
            conn,
            who.organization_id,
            provider=location.provider,
            full_name=location.full_name,
            clone_url=location.clone_url,
            created_by=who.user_id,
        )


async def get(pool: asyncpg.Pool, who: Principal, repository_id: uuid.UUID) -> Repository:
    async with pool.acquire() as conn:
        repo = await repos_db.get_repository(conn, who.organization_id, repository_id)
    if repo is None:
        raise NotFound("No such repository.")
    return repo
