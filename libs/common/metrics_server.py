"""A small HTTP server for /metrics, /health and /ready beside a worker or the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import structlog
from aiohttp import web
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.metrics import Metrics
from libs.common.redis import targets

log = structlog.get_logger(__name__)
Refresh = Callable[[], Awaitable[None]]
READY_TIMEOUT_S = 2.0
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


async def readiness(pool: asyncpg.Pool | None, redis: Redis | None) -> dict[str, str]:
    """Each dependency's state: "ok", "timeout" or "unavailable: <error kind>"."""

    async def postgres() -> None:
        assert pool is not None
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def check(name: str, probe: Callable[[], Awaitable[object]]) -> tuple[str, str]:
        try:
            async with asyncio.timeout(READY_TIMEOUT_S):
                await probe()
            return name, "ok"
        except TimeoutError:
            return name, "timeout"
        except Exception as exc:  # any failure means "not ready", with its kind shown
            return name, f"unavailable: {type(exc).__name__}"

    probes: list[Awaitable[tuple[str, str]]] = []
    if pool is not None:
        probes.append(check("postgres", postgres))
    if redis is not None:
        probes.append(check("redis", redis.ping))
    return dict(await asyncio.gather(*probes))


async def start(
    metrics: Metrics,
    host: str,
    port: int,
    refresh: Refresh | None = None,
    *,
    pool: asyncpg.Pool | None = None,
    redis: Redis | None = None,
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

    async def ready(request: web.Request) -> web.Response:
        # The process stays up through an outage, reconnecting; this says whether it can
        # work right now (a probe for load balancers and the chaos tests).
        checks = await readiness(pool, redis)
        for name, state in checks.items():
            metrics.dependency_up.labels(name).set(1 if state == "ok" else 0)
        ok = all(state == "ok" for state in checks.values())
        body = {"status": "ready" if ok else "not-ready", "checks": checks}
        return web.json_response(body, status=200 if ok else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
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
    pool: asyncpg.Pool | None = None,
) -> AsyncIterator[str]:
    """Serve /metrics, /health and /ready, and keep the address registered for discovery
    while inside."""
    runner, bound = await start(
        metrics, settings.metrics_host, port, refresh, pool=pool, redis=redis
    )
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
