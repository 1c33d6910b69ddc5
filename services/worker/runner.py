"""The frame every job runs in: attempts, progress events, outcome, retries, metrics.

arq runs a job at least once; the job row in PostgreSQL decides what an attempt means.
A row that already finished is not run again, attempts are counted in the row (so a
worker killed mid-job counts too), and the last allowed attempt fails the job with its
reason instead of asking arq for another try.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import structlog
from arq import Retry
from opentelemetry import context as otel_context
from opentelemetry import trace
from redis.asyncio import Redis

from libs.common import outages
from libs.common.db import jobs as jobs_db
from libs.common.redis import events, keys
from libs.common.redis.queue import JobPayload
from libs.common.schemas import Job
from libs.common.telemetry import context_from
from services.worker import scratch
from services.worker.deps import Deps
from services.worker.errors import JobCancelled, PermanentJobError, TransientJobError

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.worker")


# arq marks a running job with `arq:in-progress:<id>` for its whole timeout + 10 s, so a
# killed worker's job waited that long to run again. The attempt keeps the key on a short
# lease instead, renewed while it runs: after a kill the job is free again within a lease.
LEASE_S = 20.0
# How long a job put back because of an outage waits before it is tried again.
OUTAGE_DEFER_S = 2.0
T = TypeVar("T")


@dataclass
class JobContext:
    deps: Deps
    job: Job

    @contextlib.asynccontextmanager
    async def scratch(self) -> AsyncIterator[Path]:
        """A fresh directory for this attempt's tree (not yet created), removed afterwards."""
        async with scratch.attempt_dir(
            self.deps.workdir, f"{self.job.id}-{self.job.attempts}"
        ) as workdir:
            yield workdir / "tree"

    async def progress(self, stage: str, message: str, **data: object) -> None:
        """A new stage begins; the job stops here instead when it was cancelled."""
        async with self.deps.pool.acquire() as conn:
            if await jobs_db.cancel_requested(conn, self.job.organization_id, self.job.id):
                raise JobCancelled
        await self.emit("progress", stage=stage, message=message, data=data)

    async def emit(
        self,
        type_: events.EventType,
        *,
        stage: str | None = None,
        message: str | None = None,
        data: dict[str, object] | None = None,
    ) -> None:
        event = events.JobEvent(
            type=type_,
            job_id=str(self.job.id),
            kind=self.job.kind,
            repository_id=str(self.job.repository_id) if self.job.repository_id else None,
            stage=stage,
            message=message,
            data=data or {},
        )
        await events.publish(
            self.deps.redis, self.deps.settings, str(self.job.organization_id), event
        )


Handler = Callable[[JobContext], Awaitable[dict[str, Any] | None]]


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Growing delay with jitter: ~2 s, 4 s, 8 s … capped at 2 min, or what the server asked."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), 300.0)
    base = min(2.0**attempt, 120.0)
    return base * random.uniform(0.8, 1.2)


def run_budget(timeout_s: float) -> float:
    """How long a handler may run inside its queue's timeout: what is left is for
    recording the outcome before arq cancels the attempt unseen."""
    margin = min(max(timeout_s * 0.2, 2.0), 10.0)
    return max(timeout_s - margin, timeout_s / 2)


@dataclass(frozen=True)
class Budget:
    """Loop times: the handler must end by `run_until`; bookkeeping waits out an outage of
    PostgreSQL or Redis until `settle_until`, just before arq would cancel the attempt."""

    run_until: float
    settle_until: float


async def execute(
    ctx: dict[str, Any], raw: dict[str, Any], queue: str, handler: Handler, timeout_s: float
) -> None:
    # arq's clock started just before this call: the budget counts from here, so the
    # bookkeeping before the handler runs is inside it too.
    now = asyncio.get_running_loop().time()
    budget = Budget(now + run_budget(timeout_s), now + max(timeout_s - 1.0, timeout_s * 0.9))
    deps: Deps = ctx["deps"]
    payload = msgspec.convert(raw, JobPayload)
    token = otel_context.attach(context_from(payload.trace))
    # Never longer than arq's own mark (timeout + 10 s) on a queue with a short timeout.
    lease_s = min(LEASE_S, timeout_s + 10)
    lease = asyncio.create_task(_hold_lease(ctx.get("redis"), ctx.get("job_id"), lease_s))
    try:
        with (
            tracer.start_as_current_span(
                f"job {queue}", kind=trace.SpanKind.CONSUMER, attributes={"job.id": payload.job_id}
            ),
            structlog.contextvars.bound_contextvars(job_id=payload.job_id, queue=queue),
        ):
            await _attempt(deps, payload, queue, handler, int(ctx.get("job_try", 1)), budget)
    finally:
        lease.cancel()
        await asyncio.gather(lease, return_exceptions=True)
        otel_context.detach(token)


async def _hold_lease(redis: Redis | None, arq_job_id: str | None, lease_s: float) -> None:
    """Keep arq's in-progress key on a `lease_s` expiry while the attempt runs."""
    if redis is None or arq_job_id is None:
        return
    key = keys.ARQ_IN_PROGRESS_PREFIX + arq_job_id
    while True:
        try:
            # No key (arq removed it as the job ended): nothing is extended.
            await redis.pexpire(key, int(lease_s * 1000))
        except Exception as exc:
            if not outages.is_outage(exc):
                raise
            # Redis away: the lease runs out and another worker may start the job; the
            # job row still lets only one attempt finish it.
        await asyncio.sleep(lease_s / 4)


async def _outlast(until: float, call: Callable[[], Awaitable[T]]) -> T:
    """`call()`, waiting out an outage until loop time `until`; past that the job goes back
    on its queue to start afresh."""
    try:
        async with asyncio.timeout_at(until):
            return await outages.outlasting(call)
    except TimeoutError:
        log.warning("PostgreSQL or Redis still unavailable; the job goes back on its queue")
        raise Retry(defer=OUTAGE_DEFER_S) from None


async def _start(deps: Deps, org_id: uuid.UUID, job_id: uuid.UUID, budget: Budget) -> Job | None:
    """Count the attempt; an outage is waited out, and an attempt that began late because
    of one is given back, so the job starts over with its whole timeout."""
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def start() -> Job | None:
        async with deps.pool.acquire() as conn:
            return await jobs_db.start_attempt(conn, org_id, job_id)

    job = await _outlast(budget.run_until, start)
    if job is not None and loop.time() - began > OUTAGE_DEFER_S:
        await _outlast(budget.settle_until, functools.partial(_requeue, deps, job, refund=True))
        raise Retry(defer=0)
    return job


async def _requeue(deps: Deps, job: Job, *, refund: bool) -> None:
    async with deps.pool.acquire() as conn:
        await jobs_db.requeue(conn, job.organization_id, job.id, refund=refund)


async def _attempt(
    deps: Deps, payload: JobPayload, queue: str, handler: Handler, arq_try: int, budget: Budget
) -> None:
    org_id, job_id = uuid.UUID(payload.organization_id), uuid.UUID(payload.job_id)
    job = await _start(deps, org_id, job_id, budget)
    if job is None:
        log.info("job already finished or gone; nothing to do", arq_try=arq_try)
        return
    jc = JobContext(deps, job)
    max_tries = deps.settings.job_max_tries
    if job.attempts > max_tries:
        await _fail(jc, queue, f"gave up after {max_tries} attempts", "attempts_exhausted")
        return
    if job.attempts == 1 and job.enqueued_at is not None:
        wait = time.time() - job.enqueued_at.timestamp()
        deps.metrics.job_wait.labels(queue).observe(max(wait, 0.0))
    await jc.emit("started", message=f"attempt {job.attempts} of {max_tries}")
    started = time.perf_counter()
    running = deps.metrics.jobs_in_progress.labels(queue)
    running.inc()
    try:
        result = await _within(handler, jc, budget.run_until)
    except JobCancelled:
        await _cancelled(jc, queue)
    except PermanentJobError as exc:
        await _fail(jc, queue, exc.reason, exc.error_type, expected=True)
    except Exception as exc:
        await _retry_or_fail(jc, queue, exc, budget)
    else:

        async def finish() -> bool:
            async with deps.pool.acquire() as conn:
                return await jobs_db.finish(conn, org_id, job_id, result=result or {})

        if await _outlast(budget.settle_until, finish):
            await jc.emit("succeeded", message="done", data=result or {})
            deps.metrics.jobs.labels(queue, "succeeded").inc()
            seconds = round(time.perf_counter() - started, 3)
            log.info("job succeeded", attempt=job.attempts, seconds=seconds)
    finally:
        running.dec()
        deps.metrics.job_duration.labels(queue).observe(time.perf_counter() - started)


async def _retry_or_fail(jc: JobContext, queue: str, exc: Exception, budget: Budget) -> None:
    """After a failed attempt: Retry (raised) with a growing delay, or fail on the last one.
    A failure because PostgreSQL or Redis is down is no fault of the job's: the attempt is
    given back and the job waits for the outage to end."""
    job, deps = jc.job, jc.deps
    if outages.is_outage(exc):
        log.warning("job interrupted by an outage; it will run again", error=repr(exc))
        await _outlast(budget.settle_until, functools.partial(_requeue, deps, job, refund=True))
        raise Retry(defer=OUTAGE_DEFER_S) from exc
    transient = isinstance(exc, TransientJobError)
    reason = exc.reason if transient else "internal error (see worker logs)"  # type: ignore[attr-defined]
    error_type = exc.error_type if transient else "internal"  # type: ignore[attr-defined]
    if not transient:
        log.exception("job raised an unexpected error", attempt=job.attempts)
    if job.attempts >= deps.settings.job_max_tries:
        await _fail(jc, queue, reason, error_type)
        return
    delay = backoff_seconds(job.attempts, getattr(exc, "retry_after", None))
    await _requeue(deps, job, refund=False)
    await jc.emit("retrying", message=reason, data={"in_seconds": round(delay, 1)})
    deps.metrics.job_retries.labels(queue).inc()
    deps.metrics.jobs.labels(queue, "retried").inc()
    raise Retry(defer=delay) from exc


async def _within(handler: Handler, jc: JobContext, deadline: float) -> dict[str, Any] | None:
    """The handler's result; running past `deadline` (loop time) is a transient failure,
    so the job is retried or failed with that reason instead of cancelled by arq unseen."""
    limit = asyncio.timeout_at(deadline)
    try:
        async with limit:
            return await handler(jc)
    except TimeoutError:
        if not limit.expired():
            raise  # a timeout of something inside the job, not ours
        raise TransientJobError(
            f"ran longer than its queue allows ({jc.job.kind.upper()}_TIMEOUT_SECONDS,"
            " less a margin to record the outcome)",
            "timeout",
        ) from None


async def _cancelled(jc: JobContext, queue: str) -> None:
    async with jc.deps.pool.acquire() as conn:
        stopped = await jobs_db.mark_cancelled(conn, jc.job.organization_id, jc.job.id)
    if stopped:
        log.info("job cancelled between stages")
        await jc.emit("cancelled", message="cancelled while it ran")
        jc.deps.metrics.jobs.labels(queue, "cancelled").inc()


async def _fail(
    jc: JobContext, queue: str, reason: str, error_type: str, *, expected: bool = False
) -> None:
    async with jc.deps.pool.acquire() as conn:
        finished = await jobs_db.finish(
            conn, jc.job.organization_id, jc.job.id, error=reason, error_type=error_type
        )
    if finished:
        # The job's own input (a gone repository, bad params) is a warning; anything else
        # is an error for error tracking to report.
        report = log.warning if expected else log.error
        report("job failed", reason=reason, error_type=error_type)
        await jc.emit("failed", message=reason, data={"error_type": error_type})
        jc.deps.metrics.jobs.labels(queue, "failed").inc()
