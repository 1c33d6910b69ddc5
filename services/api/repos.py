"""Registering repositories and requesting work on them, within the caller's organization."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.common import jobs
from libs.common.config import Settings
from libs.common.db import repos as repos_db
from libs.common.repourl import (
    InvalidRepositoryLocation,
    parse_https_url,
    parse_local_path,
    refuse_private_host,
)
from libs.common.schemas import Job, Principal, RepoCreate, Repository
from services.api import usage
from services.api.errors import AppError, NotFound, ValidationFailed


class AnalyzeRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What to analyse: a commit (default: the last synced one) and its branch."""

    commit: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")] | None = None
    branch: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    platform: Literal["github", "gitlab"] = "github"
    # Open a pull request with the generated workflow (GitHub repositories, valid CI only).
    open_pull_request: bool = False


# Connects a GitHub repository by OWNER/NAME for the caller (services.api.github).
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


class NotSynced(AppError):
    status = 409
    slug = "repository-not-synced"
    title = "The repository has no known commit yet"


async def request_analysis(
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    who: Principal,
    repository_id: uuid.UUID,
    body: AnalyzeRequest,
) -> tuple[Job, bool]:
    repo = await get(pool, who, repository_id)
    commit = body.commit or repo.last_commit
    if commit is None:
        raise NotSynced(f"Sync it first (POST /v1/repos/{repo.id}/sync) or name a commit.")
    async with pool.acquire() as conn:
        await usage.check_quota(conn, settings, who)
    return await jobs.submit(
        pool,
        redis,
        who.organization_id,
        kind="analysis",
        key=jobs.dedup_key("analysis", repo.id, commit),
        trigger="api",
        repository_id=repo.id,
        commit_sha=commit,
        requested_by=who.user_id,
        params={
            "branch": body.branch or repo.default_branch,
            "platform": body.platform,
            "open_pull_request": body.open_pull_request,
        },
    )


async def request_sync(
    pool: asyncpg.Pool, redis: Redis, who: Principal, repository_id: uuid.UUID
) -> tuple[Job, bool]:
    repo = await get(pool, who, repository_id)
    return await jobs.submit(
        pool,
        redis,
        who.organization_id,
        kind="sync",
        key=jobs.dedup_key("sync", repo.id),
        trigger="api",
        repository_id=repo.id,
        requested_by=who.user_id,
    )
