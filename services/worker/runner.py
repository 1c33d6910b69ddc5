"""The frame every job runs in: attempts, progress events, outcome, retries, metrics.

arq runs a job at least once; the job row in PostgreSQL decides what an attempt means.
A row that already finished is not run again, attempts are counted in the row (so a
worker killed mid-job counts too), and the last allowed attempt fails the job with its
reason instead of asking arq for another try.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import structlog
from arq import Retry
from opentelemetry import context as otel_context
from opentelemetry import trace

from libs.common.db import jobs as jobs_db
from libs.common.redis import events
from libs.common.redis.queue import JobPayload
from libs.common.schemas import Job
from libs.common.telemetry import context_from
from services.worker.deps import Deps
from services.worker.errors import JobCancelled, PermanentJobError, TransientJobError

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.worker")


SCRATCH_PREFIX = "autodevops-"
_SCRATCH_NAME = re.compile(rf"^{SCRATCH_PREFIX}[0-9a-f-]{{36}}-[0-9]+$")


def sweep_scratch(workdir: Path, older_than_s: float) -> int:
    """Remove attempt directories a killed worker left behind; how many went.

    Each attempt removes its own directory when it ends, so one older than the longest
    job timeout belongs to nobody (the default workdir is RAM, where a leak stays).
    """
    cutoff = time.time() - older_than_s
    removed = 0
    for path in workdir.glob(f"{SCRATCH_PREFIX}*"):
        if not _SCRATCH_NAME.match(path.name):
            continue
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


@dataclass
class JobContext:
    deps: Deps
    job: Job

    @contextlib.asynccontextmanager
    async def scratch(self) -> AsyncIterator[Path]:
        """A fresh directory for this attempt's tree (not yet created), removed afterwards."""
        workdir = self.deps.workdir / f"{SCRATCH_PREFIX}{self.job.id}-{self.job.attempts}"
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            yield workdir / "tree"
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)

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


async def execute(
    ctx: dict[str, Any], raw: dict[str, Any], queue: str, handler: Handler, timeout_s: float
) -> None:
    # arq's clock started just before this call: the budget counts from here, so the
    # bookkeeping before the handler runs is inside it too.
    deadline = asyncio.get_running_loop().time() + run_budget(timeout_s)
    deps: Deps = ctx["deps"]
    payload = msgspec.convert(raw, JobPayload)
    token = otel_context.attach(context_from(payload.trace))
    try:
        with (
            tracer.start_as_current_span(
                f"job {queue}", kind=trace.SpanKind.CONSUMER, attributes={"job.id": payload.job_id}
            ),
            structlog.contextvars.bound_contextvars(job_id=payload.job_id, queue=queue),
        ):
            await _attempt(deps, payload, queue, handler, int(ctx.get("job_try", 1)), deadline)
    finally:
        otel_context.detach(token)


async def _attempt(
    deps: Deps, payload: JobPayload, queue: str, handler: Handler, arq_try: int, deadline: float
) -> None:
    org_id, job_id = uuid.UUID(payload.organization_id), uuid.UUID(payload.job_id)
    async with deps.pool.acquire() as conn:
        job = await jobs_db.start_attempt(conn, org_id, job_id)
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
        result = await _within(handler, jc, deadline)
    except JobCancelled:
        await _cancelled(jc, queue)
    except PermanentJobError as exc:
        await _fail(jc, queue, exc.reason, exc.error_type, expected=True)
    except Exception as exc:
        transient = isinstance(exc, TransientJobError)
        reason = exc.reason if transient else "internal error (see worker logs)"  # type: ignore[attr-defined]
        error_type = exc.error_type if transient else "internal"  # type: ignore[attr-defined]
        if not transient:
            log.exception("job raised an unexpected error", attempt=job.attempts)
        if job.attempts >= max_tries:
            await _fail(jc, queue, reason, error_type)
            return
        delay = backoff_seconds(job.attempts, getattr(exc, "retry_after", None))
        async with deps.pool.acquire() as conn:
            await jobs_db.requeue(conn, org_id, job_id)
        await jc.emit("retrying", message=reason, data={"in_seconds": round(delay, 1)})
        deps.metrics.job_retries.labels(queue).inc()
        deps.metrics.jobs.labels(queue, "retried").inc()
        raise Retry(defer=delay) from exc
    else:
        async with deps.pool.acquire() as conn:
            finished = await jobs_db.finish(conn, org_id, job_id, result=result or {})
        if finished:
            await jc.emit("succeeded", message="done", data=result or {})
            deps.metrics.jobs.labels(queue, "succeeded").inc()
            seconds = round(time.perf_counter() - started, 3)
            log.info("job succeeded", attempt=job.attempts, seconds=seconds)
    finally:
        running.dec()
        deps.metrics.job_duration.labels(queue).observe(time.perf_counter() - started)


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
