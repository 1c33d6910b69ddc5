"""`python -m services.scheduler`: the cron loop behind a Redis leader lock."""

from __future__ import annotations

import asyncio
import signal
import sys

import structlog

from libs.common import metrics_server
from libs.common.config import ConfigError, Settings, load_settings
from libs.common.db.pool import create_pool
from libs.common.errortracking import init_error_tracking
from libs.common.logging import configure_logging
from libs.common.metrics import Metrics
from libs.common.redis.client import create_redis
from libs.common.telemetry import setup_tracing
from libs.ops import schedule
from services.scheduler.loop import Scheduler

log = structlog.get_logger("services.scheduler")


async def serve(settings: Settings) -> None:
    metrics = Metrics.for_service(settings, "scheduler")
    # No connection yet: the loop reconnects through outages and /ready says 503 meanwhile.
    pool = await create_pool(settings, min_size=0)
    redis = create_redis(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with metrics_server.serving(
            metrics, settings, "scheduler", settings.scheduler_metrics_port, redis, pool=pool
        ):
            log.info("scheduler started")
            await Scheduler(settings, pool, redis, metrics).run(stop)
    finally:
        await redis.aclose()
        await pool.close()


def main() -> None:
    try:
        settings = load_settings()
        schedule.check_crons(settings)
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    configure_logging(settings, "scheduler")
    init_error_tracking(settings, "scheduler")
    setup_tracing(settings, "autodevops-scheduler")
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
