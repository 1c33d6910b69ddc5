"""Rows of `maintenance_runs`: one per (task, slot), claimed by one worker at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

from libs.common.db import Conn, row_or_none, to_struct, to_structs

RunStatus = Literal["running", "succeeded", "failed"]


class Run(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    task: str
    slot: dt.datetime
    entry_id: str | None
    status: RunStatus
    attempts: int
    consumer: str | None
    result: dict[str, Any] | None
    error: str | None
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    finished_at: dt.datetime | None


_COLUMNS = """id, task, slot, entry_id, status, attempts, consumer, result, error,
              started_at, heartbeat_at, finished_at"""


async def claim(
    conn: Conn,
    task: str,
    slot: dt.datetime,
    *,
    entry_id: str,
    consumer: str,
    lease: dt.timedelta,
) -> Run | None:
    """Start the run of (task, slot), or take it over; None when nobody should run it now.

    A run is taken over when it failed before, when its holder stopped heartbeating for
    longer than `lease`, or when the holder is this consumer (restarted mid-run). A
    succeeded run is never started again.
    """
    row = await conn.fetchrow(
        f"""
        INSERT INTO maintenance_runs (task, slot, entry_id, status, attempts, consumer)
        VALUES ($1, $2, $3, 'running', 1, $4)
        ON CONFLICT (task, slot) DO UPDATE
           SET status = 'running', attempts = maintenance_runs.attempts + 1,
               consumer = EXCLUDED.consumer, entry_id = EXCLUDED.entry_id, error = NULL,
               started_at = now(), heartbeat_at = now(), finished_at = NULL
         WHERE maintenance_runs.status = 'failed'
            OR (maintenance_runs.status = 'running'
                AND (maintenance_runs.heartbeat_at < now() - $5::interval
                     OR maintenance_runs.consumer = EXCLUDED.consumer))
        RETURNING {_COLUMNS}
        """,
        task,
        slot,
        entry_id,
        consumer,
        lease,
    )
    return row_or_none(row, Run)


async def get(conn: Conn, task: str, slot: dt.datetime) -> Run | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM maintenance_runs WHERE task = $1 AND slot = $2", task, slot
    )
    return row_or_none(row, Run)


async def heartbeat(conn: Conn, run_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE maintenance_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'",
        run_id,
    )


async def finish(
    conn: Conn,
    run_id: uuid.UUID,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> Run:
    """Succeeded (no error) or failed, with what the task reported."""
    row = await conn.fetchrow(
        f"""
        UPDATE maintenance_runs
           SET status = CASE WHEN $3::text IS NULL THEN 'succeeded' ELSE 'failed' END,
               result = $2, error = $3, finished_at = now(), heartbeat_at = now()
         WHERE id = $1
        RETURNING {_COLUMNS}
        """,
        run_id,
        result,
        error,
    )
    assert row is not None
    return to_struct(row, Run)


async def recent(conn: Conn, limit: int = 20) -> list[Run]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM maintenance_runs ORDER BY slot DESC, task LIMIT $1", limit
    )
    return to_structs(rows, Run)
