"""Retention deletes, across every organization (maintenance, not a tenant request).

Each delete runs in batches so no single statement holds locks on a large table for long.
"""

from __future__ import annotations

import datetime as dt

from libs.common.db import Conn

BATCH = 5_000


async def _delete_in_batches(conn: Conn, sql: str, *args: object) -> int:
    total = 0
    while True:
        status = await conn.execute(sql, *args, BATCH)
        removed = int(status.split()[-1])
        total += removed
        if removed < BATCH:
            return total


async def _delete_old(conn: Conn, table: str, condition: str, older_than: dt.timedelta) -> int:
    """Rows of `table` where `condition` holds, in which `$1` is the age limit."""
    return await _delete_in_batches(
        conn,
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {condition} LIMIT $2)",
        older_than,
    )


async def finished_jobs(conn: Conn, older_than: dt.timedelta) -> int:
    """Jobs that finished more than `older_than` ago (their analyses keep a NULL job id)."""
    return await _delete_old(
        conn,
        "jobs",
        "status IN ('succeeded', 'failed', 'cancelled') AND finished_at < now() - $1::interval",
        older_than,
    )


async def surplus_analyses(conn: Conn, keep_per_repository: int) -> int:
    """Analyses beyond the newest `keep_per_repository` of each repository, except the
    newest of each branch, which stays whatever its age."""
    return await _delete_in_batches(
        conn,
        """
        DELETE FROM analyses WHERE id IN (
            SELECT id FROM (
                SELECT id,
                       row_number() OVER (PARTITION BY repository_id
                                          ORDER BY created_at DESC, id DESC) AS in_repo,
                       row_number() OVER (PARTITION BY repository_id, branch
                                          ORDER BY created_at DESC, id DESC) AS in_branch
                  FROM analyses) ranked
             WHERE in_repo > $1 AND in_branch > 1
             LIMIT $2)
        """,
        keep_per_repository,
    )


async def webhook_deliveries(conn: Conn, older_than: dt.timedelta) -> int:
    return await _delete_old(
        conn, "webhook_deliveries", "received_at < now() - $1::interval", older_than
    )


_REVOKED_OR_EXPIRED = "revoked_at < now() - $1::interval OR expires_at < now() - $1::interval"


async def dead_tokens(conn: Conn, older_than: dt.timedelta) -> int:
    """API tokens revoked, or expired, more than `older_than` ago."""
    return await _delete_old(conn, "api_tokens", _REVOKED_OR_EXPIRED, older_than)


async def dead_sessions(conn: Conn, older_than: dt.timedelta) -> int:
    """Browser sessions revoked (signed out), or expired, more than `older_than` ago."""
    return await _delete_old(conn, "sessions", _REVOKED_OR_EXPIRED, older_than)


async def maintenance_runs(conn: Conn, older_than: dt.timedelta) -> int:
    return await _delete_old(
        conn,
        "maintenance_runs",
        "status <> 'running' AND started_at < now() - $1::interval",
        older_than,
    )
