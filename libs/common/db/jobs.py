"""Job rows: written before a job is enqueued, and the source of truth for its state."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from libs.common.db import Conn, row_or_none, to_struct, to_structs
from libs.common.db.paging import DEFAULT_LIMIT, Keyset, Page, Position, page_of, position_args
from libs.common.schemas import Job

_COLUMNS = """id, organization_id, repository_id, kind, commit_sha, status, attempts, trigger,
              requested_by, params, result, error, error_type, dedup_key, trace_id,
              trace_context, created_at, enqueued_at, started_at, finished_at"""


async def insert_job(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    kind: str,
    dedup_key: str,
    trigger: str,
    repository_id: uuid.UUID | None = None,
    commit_sha: str | None = None,
    requested_by: uuid.UUID | None = None,
    params: dict[str, Any] | None = None,
    trace_id: str | None = None,
    trace_context: dict[str, str] | None = None,
) -> tuple[Job, bool]:
    """Insert a queued job, or return the live job holding the same dedup key."""
    for _ in range(3):
        row = await conn.fetchrow(
            f"""
            INSERT INTO jobs (organization_id, repository_id, kind, commit_sha, trigger,
                              requested_by, params, dedup_key, trace_id, trace_context)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (dedup_key) WHERE status IN ('queued', 'running') DO NOTHING
            RETURNING {_COLUMNS}
            """,
            organization_id,
            repository_id,
            kind,
            commit_sha,
            trigger,
            requested_by,
            params or {},
            dedup_key,
            trace_id,
            trace_context or {},
        )
        if row is not None:
            return to_struct(row, Job), True
        live = await conn.fetchrow(
            f"""
            SELECT {_COLUMNS} FROM jobs
             WHERE organization_id = $1 AND dedup_key = $2 AND status IN ('queued', 'running')
            """,
            organization_id,
            dedup_key,
        )
        if live is not None:
            return to_struct(live, Job), False
        # The live job finished between our insert and select: try again.
    raise RuntimeError(f"could not insert or find a live job for {dedup_key}")


async def get_job(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM jobs WHERE organization_id = $1 AND id = $2",
        organization_id,
        job_id,
    )
    return row_or_none(row, Job)


_NEWEST_FIRST = Keyset("created_at, id")


async def list_jobs(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    repository_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
    after: Position | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Job]:
    """The organization's jobs, newest first, optionally of one repository, status, kind."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM jobs
         WHERE organization_id = $1 AND ($2::uuid IS NULL OR repository_id = $2)
           AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR kind = $4)
           AND {_NEWEST_FIRST.after(5)}
         ORDER BY {_NEWEST_FIRST.order_by} LIMIT $7
        """,
        organization_id,
        repository_id,
        status,
        kind,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, Job), limit, lambda j: Position(j.created_at, j.id))


async def mark_enqueued(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> dt.datetime:
    enqueued_at: dt.datetime = await conn.fetchval(
        "UPDATE jobs SET enqueued_at = now(), updated_at = now()"
        " WHERE organization_id = $1 AND id = $2 RETURNING enqueued_at",
        organization_id,
        job_id,
    )
    return enqueued_at


async def start_attempt(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    """Count an attempt and mark the job running; None when it already finished."""
    row = await conn.fetchrow(
        f"""
        UPDATE jobs
           SET status = 'running', attempts = attempts + 1,
               started_at = coalesce(started_at, now()), updated_at = now()
         WHERE organization_id = $1 AND id = $2 AND status IN ('queued', 'running')
        RETURNING {_COLUMNS}
        """,
        organization_id,
        job_id,
    )
    return row_or_none(row, Job)


async def finish(
    conn: Conn,
    organization_id: uuid.UUID,
    job_id: uuid.UUID,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    error_type: str | None = None,
) -> bool:
    """Mark a live job succeeded (no error) or failed; False when it had already finished."""
    status = await conn.execute(
        """
        UPDATE jobs
           SET status = CASE WHEN $5::text IS NULL THEN 'succeeded' ELSE 'failed' END,
               result = $3, error = $4, error_type = $5, finished_at = now(), updated_at = now()
         WHERE organization_id = $1 AND id = $2 AND status IN ('queued', 'running')
        """,
        organization_id,
        job_id,
        result,
        error,
        error_type,
    )
    return status.endswith(" 1")


async def cancel(
    conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID
) -> tuple[Job | None, bool]:
    """Cancel a job: a queued one at once (status `cancelled`); a running one is marked
    so its worker stops at its next stage. A finished job is returned as it is; None when
    there is no such job in the organization. True when this call cancelled a queued one."""
    row = await conn.fetchrow(
        f"""
        UPDATE jobs
           SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
               finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
               error = CASE WHEN status = 'queued' THEN 'cancelled before it started'
                            ELSE error END,
               error_type = CASE WHEN status = 'queued' THEN 'cancelled' ELSE error_type END,
               cancel_requested_at = coalesce(cancel_requested_at, now()),
               updated_at = now()
         WHERE organization_id = $1 AND id = $2 AND status IN ('queued', 'running')
        RETURNING {_COLUMNS}
        """,
        organization_id,
        job_id,
    )
    if row is not None:
        job = to_struct(row, Job)
        return job, job.status == "cancelled"
    return await get_job(conn, organization_id, job_id), False


async def cancel_requested(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> bool:
    """Whether someone asked to cancel this job (the worker asks between stages)."""
    found = await conn.fetchval(
        "SELECT cancel_requested_at IS NOT NULL FROM jobs WHERE organization_id = $1 AND id = $2",
        organization_id,
        job_id,
    )
    return bool(found)


async def mark_cancelled(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> bool:
    """A running job whose worker stopped on a cancel request; False if already finished."""
    status = await conn.execute(
        """
        UPDATE jobs
           SET status = 'cancelled', error = 'cancelled while it ran', error_type = 'cancelled',
               finished_at = now(), updated_at = now()
         WHERE organization_id = $1 AND id = $2 AND status IN ('queued', 'running')
        """,
        organization_id,
        job_id,
    )
    return status.endswith(" 1")


async def requeue(
    conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID, *, refund: bool = False
) -> None:
    """Back to queued after an attempt that will be retried; `refund` gives the attempt
    back (it failed because PostgreSQL or Redis was down, not through its own fault)."""
    await conn.execute(
        "UPDATE jobs SET status = 'queued', updated_at = now(),"
        " attempts = greatest(attempts - $3::int, 0)"
        " WHERE organization_id = $1 AND id = $2 AND status = 'running'",
        organization_id,
        job_id,
        1 if refund else 0,
    )


async def stale_live_jobs(conn: Conn, older_than_s: float, limit: int) -> list[Job]:
    """Live jobs untouched for a while, across every organization: the reconciler's sweep."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM jobs
         WHERE status IN ('queued', 'running')
           AND updated_at < now() - make_interval(secs => $1)
         ORDER BY updated_at LIMIT $2
        """,
        older_than_s,
        limit,
    )
    return to_structs(rows, Job)


async def never_enqueued(conn: Conn, job_ids: list[uuid.UUID]) -> list[Job]:
    """Of these jobs (a webhook delivery's, by id, across organizations like the
    reconciler's sweep), the live ones whose enqueue never happened."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM jobs
         WHERE id = ANY($1::uuid[]) AND status = 'queued' AND enqueued_at IS NULL
        """,
        job_ids,
    )
    return to_structs(rows, Job)
