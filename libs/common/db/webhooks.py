"""Webhook routing and bookkeeping.

A delivery arrives before we know its tenant: the lookups here find which organizations'
repositories it concerns (by hook id or GitHub repository id), so they are the only
queries that search across organizations. Everything they return carries its
organization id, and every write after them is scoped by it.
"""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from libs.common.db import Conn, to_struct, to_structs
from libs.common.db.encrypted import WEBHOOK_SECRETS
from libs.common.db.repos import COLUMNS as REPOSITORY_COLUMNS
from libs.common.schemas import Repository

DeliveryStatus = Literal["received", "processed", "ignored", "failed", "dead"]
InstallationStatus = Literal["active", "suspended", "deleted"]
DONE: frozenset[str] = frozenset({"processed", "ignored"})


def secret_context(repository_id: uuid.UUID) -> bytes:
    """What a repository's webhook secret ciphertext is bound to."""
    return WEBHOOK_SECRETS.context(repository_id)


class HookSecret(msgspec.Struct, frozen=True, kw_only=True):
    """A repository's encrypted webhook secret, and the tenant it belongs to."""

    repository_id: uuid.UUID
    organization_id: uuid.UUID
    ciphertext: bytes
    key_id: str


class Delivery(msgspec.Struct, kw_only=True):
    hook_id: int
    delivery_id: str
    event: str
    action: str | None
    organization_id: uuid.UUID | None
    repository_id: uuid.UUID | None
    status: DeliveryStatus
    error: str | None
    attempts: int
    job_ids: list[uuid.UUID]


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
        SELECT {REPOSITORY_COLUMNS} FROM repositories
         WHERE provider = 'github'
           AND (github_id = $1 OR (github_id IS NULL AND lower(full_name) = lower($2)))
         ORDER BY created_at
         LIMIT 1000
        """,
        github_id,
        full_name,
    )
    return to_structs(rows, Repository)


async def begin_delivery(
    conn: Conn, hook_id: int, delivery_id: str, event: str, action: str | None
) -> Delivery:
    """Record an attempt at a delivery; the row says whether an earlier one finished it."""
    row = await conn.fetchrow(
        """
        INSERT INTO webhook_deliveries (hook_id, delivery_id, event, action, attempts)
        VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT (hook_id, delivery_id)
            DO UPDATE SET attempts = webhook_deliveries.attempts + 1
        RETURNING hook_id, delivery_id, event, action, organization_id, repository_id, status,
                  error, attempts, job_ids
        """,
        hook_id,
        delivery_id,
        event,
        action,
    )
    assert row is not None
    return to_struct(row, Delivery)


async def finish_delivery(
    conn: Conn,
    hook_id: int,
    delivery_id: str,
    status: DeliveryStatus,
    *,
    organization_id: uuid.UUID | None = None,
    repository_id: uuid.UUID | None = None,
    error: str | None = None,
    job_ids: list[uuid.UUID] | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE webhook_deliveries
           SET status = $3, organization_id = $4, repository_id = $5, error = $6,
               job_ids = $7, processed_at = now()
         WHERE hook_id = $1 AND delivery_id = $2
        """,
        hook_id,
        delivery_id,
        status,
        organization_id,
        repository_id,
        error,
        job_ids or [],
    )


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


async def upsert_installation(
    conn: Conn,
    installation_id: int,
    *,
    account_login: str,
    account_type: str | None,
    status: InstallationStatus,
    added: list[str] | None = None,
    removed: list[str] | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO github_installations (installation_id, account_login, account_type, status,
                                          repositories)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (installation_id) DO UPDATE
           SET account_login = EXCLUDED.account_login,
               account_type = coalesce(EXCLUDED.account_type, github_installations.account_type),
               status = EXCLUDED.status,
               repositories = ARRAY(
                   SELECT DISTINCT r FROM unnest(github_installations.repositories || $5) AS r
                    WHERE r <> ALL ($6::text[]) ORDER BY r),
               updated_at = now()
        """,
        installation_id,
        account_login,
        account_type,
        status,
        sorted(added or []),
        removed or [],
    )


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
