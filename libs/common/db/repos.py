"""Repositories, always read and written within one organization."""

from __future__ import annotations

import uuid

from libs.common.db import Conn, row_or_none, to_struct, to_structs
from libs.common.schemas import Provider, Repository

COLUMNS = """id, organization_id, provider, full_name, clone_url, default_branch, last_commit,
              last_synced_at, visibility, topics, webhook_id, created_by, created_at"""


async def create_repository(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    provider: Provider,
    full_name: str,
    clone_url: str,
    created_by: uuid.UUID | None,
    github_id: int | None = None,
) -> tuple[Repository, bool]:
    """Register a repository; registering the same URL again returns the first row."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO repositories (organization_id, provider, full_name, clone_url, created_by,
                                  github_id)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (organization_id, clone_url) DO NOTHING
        RETURNING {COLUMNS}
        """,
        organization_id,
        provider,
        full_name,
        clone_url,
        created_by,
        github_id,
    )
    if row is not None:
        return to_struct(row, Repository), True
    existing = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM repositories WHERE organization_id = $1 AND clone_url = $2",
        organization_id,
        clone_url,
    )
    assert existing is not None
    return to_struct(existing, Repository), False


async def get_repository(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID
) -> Repository | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM repositories WHERE organization_id = $1 AND id = $2",
        organization_id,
        repository_id,
    )
    return row_or_none(row, Repository)


async def list_repositories(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    limit: int = 50,
    before: uuid.UUID | None = None,
) -> list[Repository]:
    rows = await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM repositories
         WHERE organization_id = $1
           AND ($2::uuid IS NULL OR (created_at, id) < (
                SELECT created_at, id FROM repositories WHERE id = $2 AND organization_id = $1))
         ORDER BY created_at DESC, id DESC
         LIMIT $3
        """,
        organization_id,
        before,
        limit,
    )
    return to_structs(rows, Repository)


async def record_sync(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    default_branch: str | None,
    last_commit: str,
    visibility: str | None = None,
    topics: list[str] | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE repositories
           SET default_branch = coalesce($3, default_branch), last_commit = $4,
               last_synced_at = now(),
               visibility = coalesce($5, visibility), topics = coalesce($6, topics),
               updated_at = now()
         WHERE organization_id = $1 AND id = $2
        """,
        organization_id,
        repository_id,
        default_branch,
        last_commit,
        visibility,
        topics,
    )
