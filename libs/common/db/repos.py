"""Repositories: registered, synced, connected to GitHub, and kept in step with it.

Every query is scoped to one organization, except the two lookups webhook routing makes
before a delivery's tenant is known (`hook_secrets`, `repositories_for_github`): they find
which organizations' repositories a delivery concerns, everything they return carries its
organization id, and every write after them is scoped by it.
"""

from __future__ import annotations

import uuid

import msgspec

from libs.common.db import Conn, row_or_none, to_struct, to_structs
from libs.common.db.encrypted import WEBHOOK_SECRETS
from libs.common.db.paging import DEFAULT_LIMIT, Keyset, Page, Position, page_of, position_args
from libs.common.schemas import Provider, Repository

COLUMNS = """id, organization_id, provider, full_name, clone_url, default_branch, last_commit,
              last_synced_at, visibility, topics, webhook_id, created_by, created_at,
              installation_id, badge_public"""


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


_NEWEST_FIRST = Keyset("created_at, id")


async def list_repositories(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    after: Position | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Repository]:
    rows = await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM repositories
         WHERE organization_id = $1 AND {_NEWEST_FIRST.after(2)}
         ORDER BY {_NEWEST_FIRST.order_by} LIMIT $4
        """,
        organization_id,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, Repository), limit, lambda r: Position(r.created_at, r.id))


async def delete_repository(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID
) -> bool:
    """Remove a registration with its jobs, analyses and CI configurations (cascade)."""
    status = await conn.execute(
        "DELETE FROM repositories WHERE organization_id = $1 AND id = $2",
        organization_id,
        repository_id,
    )
    return status.endswith(" 1")


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


# GitHub's side of a repository: its webhook, its secret, what GitHub says changed.


def secret_context(repository_id: uuid.UUID) -> bytes:
    """What a repository's webhook secret ciphertext is bound to."""
    return WEBHOOK_SECRETS.context(repository_id)


class HookSecret(msgspec.Struct, frozen=True, kw_only=True):
    """A repository's encrypted webhook secret, and the tenant it belongs to."""

    repository_id: uuid.UUID
    organization_id: uuid.UUID
    ciphertext: bytes
    key_id: str


async def hook_secrets(conn: Conn, hook_id: int | None, github_id: int | None) -> list[HookSecret]:
    """Secrets of the repositories a delivery may come from.

    By hook id, and by GitHub repository id for repositories whose hook was just created
    and whose id we have not stored yet (GitHub pings a new hook at once).
    """
    rows = await conn.fetch(
        """
        SELECT id AS repository_id, organization_id, webhook_secret AS ciphertext,
               webhook_key_id AS key_id
          FROM repositories
         WHERE webhook_secret IS NOT NULL AND webhook_key_id IS NOT NULL
           AND ((webhook_id = $1) OR (webhook_id IS NULL AND github_id = $2))
         LIMIT 20
        """,
        hook_id,
        github_id,
    )
    return to_structs(rows, HookSecret)


async def repositories_for_github(conn: Conn, github_id: int, full_name: str) -> list[Repository]:
    """Every organization's registration of one GitHub repository."""
    rows = await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM repositories
         WHERE provider = 'github'
           AND (github_id = $1 OR (github_id IS NULL AND lower(full_name) = lower($2)))
         ORDER BY created_at
         LIMIT 1000
        """,
        github_id,
        full_name,
    )
    return to_structs(rows, Repository)


async def set_github_details(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    github_id: int,
    default_branch: str,
    visibility: str,
    topics: list[str],
) -> None:
    """What GitHub says about a repository when it is connected."""
    await _update_repository(
        conn,
        organization_id,
        repository_id,
        github_id=github_id,
        default_branch=default_branch,
        visibility=visibility,
        topics=topics,
        upstream_deleted_at=None,
    )


async def store_webhook_secret(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, ciphertext: bytes, key_id: str
) -> None:
    """The repository's own webhook secret (encrypted), stored before its hook exists."""
    await _update_repository(
        conn, organization_id, repository_id, webhook_secret=ciphertext, webhook_key_id=key_id
    )


async def keep_first_webhook_secret(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, ciphertext: bytes, key_id: str
) -> tuple[bytes, str] | None:
    """Store the secret unless the repository has one; the one it has afterwards (the
    first stored wins, so concurrent connects agree), as (ciphertext, key id)."""
    await conn.execute(
        "UPDATE repositories SET webhook_secret = $3, webhook_key_id = $4, updated_at = now()"
        " WHERE organization_id = $1 AND id = $2 AND webhook_secret IS NULL",
        organization_id,
        repository_id,
        ciphertext,
        key_id,
    )
    row = await conn.fetchrow(
        "SELECT webhook_secret, webhook_key_id FROM repositories"
        " WHERE organization_id = $1 AND id = $2",
        organization_id,
        repository_id,
    )
    if row is None or row["webhook_secret"] is None:
        return None
    return bytes(row["webhook_secret"]), str(row["webhook_key_id"])


async def store_webhook_id(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, hook_id: int
) -> None:
    await _update_repository(conn, organization_id, repository_id, webhook_id=hook_id)


async def adopt_hook(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, hook_id: int
) -> None:
    """Store the hook id a ping names when the repository does not know its hook yet."""
    await conn.execute(
        """
        UPDATE repositories SET webhook_id = $3, updated_at = now()
         WHERE organization_id = $1 AND id = $2 AND webhook_id IS NULL
        """,
        organization_id,
        repository_id,
        hook_id,
    )


async def rename_repository(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    full_name: str,
    clone_url: str,
    github_id: int,
) -> None:
    await _update_repository(
        conn,
        organization_id,
        repository_id,
        full_name=full_name,
        clone_url=clone_url,
        github_id=github_id,
    )


async def mark_upstream_deleted(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID
) -> None:
    """GitHub deleted the repository: its hook is gone too, so forget hook id and secret."""
    await conn.execute(
        """
        UPDATE repositories
           SET upstream_deleted_at = now(), webhook_id = NULL, webhook_secret = NULL,
               webhook_key_id = NULL, updated_at = now()
         WHERE organization_id = $1 AND id = $2
        """,
        organization_id,
        repository_id,
    )


async def set_visibility(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, visibility: str
) -> None:
    await _update_repository(conn, organization_id, repository_id, visibility=visibility)


async def _update_repository(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, **columns: object
) -> None:
    """Set `columns` (names written in this module, never input) on one repository row."""
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=3))
    await conn.execute(
        f"UPDATE repositories SET {assignments}, updated_at = now()"
        " WHERE organization_id = $1 AND id = $2",
        organization_id,
        repository_id,
        *columns.values(),
    )
