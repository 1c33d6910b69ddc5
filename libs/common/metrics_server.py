"""A small HTTP server for /metrics and /health beside a worker or the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from aiohttp import web
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.metrics import Metrics
from libs.common.redis import targets

log = structlog.get_logger(__name__)
Refresh = Callable[[], Awaitable[None]]
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


async def start(
    metrics: Metrics, host: str, port: int, refresh: Refresh | None = None
) -> tuple[web.AppRunner, int]:
    """Serve metrics on `port`; if it is taken (another replica), on a free port instead."""

    async def metrics_handler(request: web.Request) -> web.Response:
        if refresh is not None:
            try:
                await refresh()
            except Exception as exc:  # a scrape answers even when Redis does not
                log.warning("metrics refresh failed", error=str(exc))
        body, content_type = metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for candidate in (port, 0) if port else (0,):
        site = web.TCPSite(runner, host, candidate)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or candidate == 0:
                raise
            log.warning("metrics port taken; using a free one", port=candidate)
            continue
        bound = _bound_port(site, candidate)
        log.info("metrics listening", url=f"http://{host}:{bound}/metrics")
        return runner, int(bound)
    raise RuntimeError("unreachable")


def advertised_address(settings: Settings, port: int) -> str:
    """The `host:port` Prometheus scrapes this process at."""
    host = settings.metrics_advertise_host or settings.metrics_host
    if host in _WILDCARDS:
        host = socket.gethostname()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@contextlib.asynccontextmanager
async def serving(
    metrics: Metrics,
    settings: Settings,
    service: str,
    port: int,
    redis: Redis,
    refresh: Refresh | None = None,
) -> AsyncIterator[str]:
    """Serve /metrics and keep its address registered for discovery while inside."""
    runner, bound = await start(metrics, settings.metrics_host, port, refresh)
    address = advertised_address(settings, bound)
    task = asyncio.create_task(_keep_registered(redis, service, address), name="metrics-target")
    try:
        yield address
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(Exception):  # it expires by itself if Redis is away
            await targets.unregister(redis, service, address)
        await runner.cleanup()


async def _keep_registered(redis: Redis, service: str, address: str) -> None:
    while True:
        try:
            await targets.register(redis, service, address)
        except Exception as exc:  # Redis away: try again next round; scrapes still work
            log.warning("could not register the metrics address", error=str(exc))
        await asyncio.sleep(targets.REFRESH_S)


def _bound_port(site: web.TCPSite, asked: int) -> int:
    server = site._server
    sockets = getattr(server, "sockets", None)
    return int(sockets[0].getsockname()[1]) if sockets else asked
