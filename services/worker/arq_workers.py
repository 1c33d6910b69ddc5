"""One arq Worker per queue, each with its own timeout and health-check key."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

import structlog
from arq.connections import ArqRedis
from arq.worker import Worker, func
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from libs.common import outages
from libs.common.config import Settings
from libs.common.redis import keys, queue
from libs.common.schemas import JobKind
from services.worker.deps import Deps
from services.worker.jobs.analysis import analysis
from services.worker.jobs.ci_generation import ci_generation
from services.worker.jobs.sync import sync
from services.worker.runner import Handler, execute

log = structlog.get_logger(__name__)

HANDLERS: dict[JobKind, Handler] = {
    "sync": sync,
    "analysis": analysis,
    "ci_generation": ci_generation,
}
HEALTH_CHECK_INTERVAL_S = 30
OUTAGE_TRIES = 50


def timeout_for(settings: Settings, kind: str) -> int:
    return {
        "sync": settings.sync_timeout_seconds,
        "analysis": settings.analysis_timeout_seconds,
        "ci_generation": settings.ci_generation_timeout_seconds,
    }[kind]


def build_worker(
    settings: Settings,
    deps: Deps,
    kind: JobKind,
    *,
    burst: bool = False,
    poll_delay: float | None = None,
) -> Worker:
    handler = HANDLERS.get(kind)
    if handler is None:
        raise ValueError(f"no job function for queue {kind!r}")

    timeout_s = timeout_for(settings, kind)

    async def job(ctx: dict[str, Any], payload: dict[str, Any]) -> None:
        await execute(ctx, payload, kind, handler, timeout_s)

    # Each Worker closes its own pool on exit, so each gets one.
    redis = ArqRedis(
        ConnectionPool.from_url(settings.redis_url, socket_connect_timeout=2),
        job_serializer=queue.serialize,
        job_deserializer=queue.deserialize,
    )
    return Worker(
        functions=[func(job, name=kind)],
        queue_name=keys.queue(kind),
        redis_pool=redis,
        burst=burst,
        poll_delay=settings.worker_poll_delay_seconds if poll_delay is None else poll_delay,
        handle_signals=False,
        max_jobs=settings.worker_concurrency,
        job_timeout=timeout_s,
        # Results live in PostgreSQL; arq keeps none, so a finished id can be enqueued again.
        keep_result=0,
        # Our runner decides the last attempt from the job row; arq's cap is a backstop.
        # Outages put a job back without spending an attempt, so arq's count can run higher.
        max_tries=settings.job_max_tries + OUTAGE_TRIES,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
        health_check_key=keys.health_check(kind),
        ctx={"deps": deps},
        job_serializer=queue.serialize,
        job_deserializer=queue.deserialize,
        log_results=False,
    )


async def run_healing(worker: Worker, kind: str) -> None:
    """Run `worker` until it is stopped; when Redis goes away arq's loop gives up, and
    this starts it again with backoff. Jobs in hand keep running meanwhile, their leases
    kept while Redis answers."""
    while True:
        try:
            await worker.async_run()
            return
        except Exception as exc:
            if not outages.is_outage(exc):
                raise
            log.warning("queue worker lost Redis; reconnecting", queue=kind, error=str(exc))
        async for attempt in outages.waiting_out():
            with attempt:
                await worker.pool.ping()
        log.info("queue worker reconnected to Redis", queue=kind)


async def stop_worker(worker: Worker) -> None:
    """Stop a worker: running jobs are cancelled and arq puts them back on the queue.

    arq's own Worker.close() calls a redis-py method deprecated since 5.0.1; this is the
    same sequence without it.
    """
    worker.handle_sig(signal.SIGTERM)
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    if worker._pool is not None:
        # Redis may be gone first (Ctrl-C reaches the embedded server under `make run`
        # too); its health key then expires by itself.
        with contextlib.suppress(RedisError, OSError):
            await worker.pool.delete(worker.health_check_key)
        await worker.pool.aclose(close_connection_pool=True)
        worker._pool = None
