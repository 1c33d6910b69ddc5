"""Submitting jobs: the row is committed first, then the queue entry; a sweep mends the gap."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import structlog
from opentelemetry import trace
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.db import Conn
from libs.common.db import jobs as jobs_db
from libs.common.redis import queue
from libs.common.redis.queue import JobPayload
from libs.common.schemas import Job, JobKind
from libs.common.telemetry import current_carrier, current_context, current_trace_id

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.jobs")


def dedup_key(kind: JobKind, *parts: object) -> str:
    """The deterministic id of a piece of work, e.g. `analysis:{repo}:{commit}`."""
    return ":".join([kind, *(str(p) for p in parts)])


def payload_for(job: Job) -> JobPayload:
    return JobPayload(
        job_id=str(job.id), organization_id=str(job.organization_id), trace=job.trace_context
    )


async def submit(
    pool: asyncpg.Pool,
    redis: Redis,
    organization_id: uuid.UUID,
    *,
    kind: JobKind,
    key: str,
    trigger: str,
    repository_id: uuid.UUID | None = None,
    commit_sha: str | None = None,
    requested_by: uuid.UUID | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[Job, bool]:
    """Create (or find the live) job for `key` and make sure it is on its queue.

    Returns the job and whether it was created now. If Redis cannot take it, the row stays
    queued and the reconciler enqueues it later: accepted work is never lost.
    """
    async with pool.acquire() as conn:
        job, created = await create_row(
            conn,
            organization_id,
            kind=kind,
            key=key,
            trigger=trigger,
            repository_id=repository_id,
            commit_sha=commit_sha,
            requested_by=requested_by,
            params=params,
        )
    await enqueue_rows(pool, redis, [job], created=[job.id] if created else [])
    return job, created


async def create_row(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    kind: JobKind,
    key: str,
    trigger: str,
    repository_id: uuid.UUID | None = None,
    commit_sha: str | None = None,
    requested_by: uuid.UUID | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[Job, bool]:
    """The job row for `key` (created, or the live one holding it), on `conn`, which may be
    in a transaction: enqueue it with `enqueue_rows` once that has committed."""
    with tracer.start_as_current_span(
        f"submit {kind}",
        context=current_context(),
        kind=trace.SpanKind.PRODUCER,
        attributes={"job.kind": kind},
    ) as span:
        job, created = await jobs_db.insert_job(
            conn,
            organization_id,
            kind=kind,
            dedup_key=key,
            trigger=trigger,
            repository_id=repository_id,
            commit_sha=commit_sha,
            requested_by=requested_by,
            params=params,
            trace_id=current_trace_id(),
            trace_context=current_carrier(),
        )
        span.set_attributes({"job.id": str(job.id), "job.created": created})
    return job, created


async def enqueue_rows(
    pool: asyncpg.Pool, redis: Redis, rows: list[Job], *, created: list[uuid.UUID]
) -> None:
    """Put committed job rows on their queues: those `created` now, and live rows never
    enqueued (their creator died between its commit and the enqueue, e.g. a worker killed
    mid-delivery whose delivery is now handled again). Enqueue them now rather than wait
    for the reconciler; arq's job id makes a second enqueue a no-op if the creator is
    merely slow."""
    for job in rows:
        if job.id in created or (job.status == "queued" and job.enqueued_at is None):
            enqueued_at = await enqueue_row(pool, redis, job)
            if enqueued_at is not None:
                job.enqueued_at = enqueued_at


async def enqueue_row(pool: asyncpg.Pool, redis: Redis, job: Job) -> dt.datetime | None:
    """Put a job row on its queue; returns when, or None if Redis refused (the sweep retries)."""
    try:
        await queue.enqueue(redis, job.kind, job.dedup_key, payload_for(job))
    except (RedisError, OSError) as exc:
        log.warning("enqueue failed; the reconciler will retry", job_id=str(job.id), error=str(exc))
        return None
    async with pool.acquire() as conn:
        return await jobs_db.mark_enqueued(conn, job.organization_id, job.id)


async def reconcile(
    pool: asyncpg.Pool, redis: Redis, *, older_than_s: float = 30.0, limit: int = 500
) -> int:
    """Re-enqueue live job rows that arq no longer holds (lost enqueue, lost Redis data)."""
    async with pool.acquire() as conn:
        candidates = await jobs_db.stale_live_jobs(conn, older_than_s, limit)
    count = 0
    for job in candidates:
        if await queue.is_live(redis, job.dedup_key):
            continue
        if await enqueue_row(pool, redis, job) is not None:
            count += 1
            log.info("job re-enqueued by reconciler", job_id=str(job.id), kind=job.kind)
    return count
