"""A small HTTP server for /metrics and /health beside a worker or the scheduler."""

from __future__ import annotations

import errno
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from libs.common.metrics import Metrics

log = structlog.get_logger(__name__)
Refresh = Callable[[], Awaitable[None]]


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


def _bound_port(site: web.TCPSite, asked: int) -> int:
    server = site._server
    sockets = getattr(server, "sockets", None)
    return int(sockets[0].getsockname()[1]) if sockets else asked
