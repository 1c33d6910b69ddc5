"""Rows of the `backups` table: one per dump attempt, with its checksum and verification."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

from libs.common.db import Conn, row_or_none, to_struct, to_structs

BackupStatus = Literal["running", "succeeded", "failed"]


class Backup(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    path: str
    size_bytes: int | None
    sha256: str | None
    status: BackupStatus
    verified: bool
    verification: dict[str, Any] | None
    error: str | None
    trigger: str
    run_id: uuid.UUID | None
    server_version: str | None
    migration_version: int | None
    table_rows: dict[str, int] | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    verified_at: dt.datetime | None


_COLUMNS = """id, path, size_bytes, sha256, status, verified, verification, error, trigger,
              run_id, server_version, migration_version, table_rows, started_at, finished_at,
              verified_at"""


async def start(conn: Conn, *, path: str, trigger: str, run_id: uuid.UUID | None) -> Backup:
    row = await conn.fetchrow(
        f"""
        INSERT INTO backups (path, status, trigger, run_id) VALUES ($1, 'running', $2, $3)
        RETURNING {_COLUMNS}
        """,
        path,
        trigger,
        run_id,
    )
    assert row is not None
    return to_struct(row, Backup)


async def succeed(
    conn: Conn,
    backup_id: uuid.UUID,
    *,
    path: str,
    size_bytes: int,
    sha256: str,
    server_version: str,
    migration_version: int,
    table_rows: dict[str, int],
) -> Backup:
    row = await conn.fetchrow(
        f"""
        UPDATE backups
           SET status = 'succeeded', size_bytes = $2, sha256 = $3, server_version = $4,
               migration_version = $5, table_rows = $6, path = $7, finished_at = now()
         WHERE id = $1
        RETURNING {_COLUMNS}
        """,
        backup_id,
        size_bytes,
        sha256,
        server_version,
        migration_version,
        table_rows,
        path,
    )
    assert row is not None
    return to_struct(row, Backup)


async def fail(conn: Conn, backup_id: uuid.UUID, error: str) -> Backup:
    row = await conn.fetchrow(
        f"""
        UPDATE backups SET status = 'failed', error = $2, finished_at = now()
         WHERE id = $1 RETURNING {_COLUMNS}
        """,
        backup_id,
        error,
    )
    assert row is not None
    return to_struct(row, Backup)


async def record_verification(
    conn: Conn, backup_id: uuid.UUID, *, verified: bool, verification: dict[str, Any]
) -> Backup:
    row = await conn.fetchrow(
        f"""
        UPDATE backups SET verified = $2, verification = $3, verified_at = now()
         WHERE id = $1 RETURNING {_COLUMNS}
        """,
        backup_id,
        verified,
        verification,
    )
    assert row is not None
    return to_struct(row, Backup)


async def get(conn: Conn, backup_id: uuid.UUID) -> Backup | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM backups WHERE id = $1", backup_id)
    return row_or_none(row, Backup)


async def for_run(conn: Conn, run_id: uuid.UUID) -> list[Backup]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM backups WHERE run_id = $1 ORDER BY started_at", run_id
    )
    return to_structs(rows, Backup)


async def latest_succeeded(conn: Conn) -> Backup | None:
    row = await conn.fetchrow(
        f"""
        SELECT {_COLUMNS} FROM backups WHERE status = 'succeeded'
         ORDER BY finished_at DESC LIMIT 1
        """
    )
    return row_or_none(row, Backup)


class Freshness(msgspec.Struct, kw_only=True):
    latest: Backup | None
    database_created: dt.datetime


async def freshness(conn: Conn) -> Freshness:
    """The newest successful backup, and since when one is due: the first migration."""
    created = await conn.fetchval("SELECT min(applied_at) FROM schema_migrations")
    return Freshness(
        latest=await latest_succeeded(conn),
        database_created=created or dt.datetime.now(dt.UTC),
    )


async def list_recent(conn: Conn, limit: int = 20) -> list[Backup]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM backups ORDER BY started_at DESC LIMIT $1", limit
    )
    return to_structs(rows, Backup)


async def list_all(conn: Conn) -> list[Backup]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM backups ORDER BY started_at")
    return to_structs(rows, Backup)


async def mark_interrupted(conn: Conn, older_than: dt.timedelta) -> int:
    """Running rows nobody finished (the process died): failed, so they are not trusted."""
    status = await conn.execute(
        """
        UPDATE backups SET status = 'failed', error = 'interrupted', finished_at = now()
         WHERE status = 'running' AND started_at < now() - $1::interval
        """,
        older_than,
    )
    return int(status.split()[-1])


async def delete(conn: Conn, backup_ids: list[uuid.UUID]) -> int:
    status = await conn.execute("DELETE FROM backups WHERE id = ANY($1::uuid[])", backup_ids)
    return int(status.split()[-1])
