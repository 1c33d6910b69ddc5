"""Run arq workers for one or more queues in one process until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import functools
import signal
from collections.abc import Sequence

import structlog

from libs.common import metrics_server, scrape
from libs.common.config import Settings
from libs.common.schemas import JobKind
from services.worker import scratch, trees
from services.worker.arq_workers import build_worker, run_healing, stop_worker
from services.worker.deps import Deps
from services.worker.ingest.consumer import IngestConsumer
from services.worker.maintenance.consumer import MaintenanceConsumer, default_name
from services.worker.trees import TreeCache

log = structlog.get_logger(__name__)


async def serve(settings: Settings, queues: Sequence[JobKind]) -> None:
    # Nothing here needs PostgreSQL or Redis to answer yet: every loop below reconnects
    # with backoff, and /ready says 503 until both answer.
    deps = await Deps.create(settings)
    # First of all: trees of attempts that died with a previous worker (their locks went
    # with it) are removed before anything else starts.
    swept = await asyncio.to_thread(scratch.sweep, deps.workdir)
    if swept:
        log.info("removed scratch directories of dead job attempts", count=swept)
    await asyncio.to_thread(trees.sweep, TreeCache.in_workdir(deps.workdir).root)
    try:
        async with metrics_server.serving(
            deps.metrics,
            settings,
            "worker",
            settings.worker_metrics_port,
            deps.redis,
            refresh=functools.partial(scrape.refresh, deps.metrics, deps.pool, deps.redis),
            pool=deps.pool,
        ):
            await _run(settings, deps, queues)
    finally:
        await deps.close()


async def _run(settings: Settings, deps: Deps, queues: Sequence[JobKind]) -> None:
    workers = [build_worker(settings, deps, kind) for kind in queues]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [
        asyncio.create_task(run_healing(w, q), name=f"worker-{q}")
        for w, q in zip(workers, queues, strict=True)
    ]
    tasks.append(asyncio.create_task(scratch.sweep_periodically(deps.workdir), name="sweep"))
    if settings.worker_maintenance:
        consumer = MaintenanceConsumer(deps, default_name(queues))
        tasks.append(asyncio.create_task(consumer.run(stop), name="maintenance"))
    ingest = IngestConsumer(deps, default_name(queues))
    tasks.append(asyncio.create_task(ingest.run(stop), name="ingest"))
    log.info("worker started", queues=list(queues), maintenance=settings.worker_maintenance)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stop.set()  # stream consumers finish the entry in hand and return
    for task in done:
        if task is not stopper and task.exception() is not None:
            log.error("a worker loop died", error=repr(task.exception()))
    log.info("worker stopping")
    for worker in workers:
        await stop_worker(worker)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
