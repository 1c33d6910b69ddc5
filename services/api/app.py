"""The api's application factory: tests and __main__ both call create_app(settings)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from libs.common.config import Settings, keyring
from libs.common.db.pool import create_pool
from libs.common.metrics import Metrics
from libs.common.redis.client import create_redis
from services.api import dashboard
from services.api.http import keys, middlewares, ratelimit, sse
from services.api.http.fanout import StreamHub
from services.api.http.metrics import HttpMetrics
from services.api.routes import (
    account,
    admin,
    analyses,
    auth,
    badges,
    docs,
    events,
    health,
    history,
    jobs,
    orgs,
    rehearsals,
    repos,
    usage,
    webhooks,
)
from services.api.webhook_intake import Intake

# API bodies are small JSON documents; webhooks get their own, larger limit.
MAX_BODY_BYTES = 1024 * 1024


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    # No connection is opened here: the api starts (and /ready says why it is not ready)
    # even while PostgreSQL is still coming up.
    settings = app[keys.SETTINGS]
    app[keys.POOL] = await create_pool(settings, min_size=0)
    yield
    await app[keys.POOL].close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    app[keys.REDIS] = create_redis(app[keys.SETTINGS])
    # Ticks at half the keep-alive interval: a keep-alive goes out within 1.5 intervals.
    app[keys.HUB] = StreamHub(app[keys.REDIS], tick_s=app[keys.SETTINGS].sse_keepalive_seconds / 2)
    app[keys.WEBHOOK_INTAKE] = Intake(
        app[keys.SETTINGS], app[keys.POOL], app[keys.REDIS], app[keys.KEYRING]
    )
    yield
    await app[keys.WEBHOOK_INTAKE].aclose()
    await app[keys.REDIS].aclose()


async def _http(app: web.Application) -> AsyncIterator[None]:
    app[keys.HTTP] = aiohttp.ClientSession()
    yield
    await app[keys.HTTP].close()


def create_app(settings: Settings, metrics: Metrics | None = None) -> web.Application:
    app = web.Application(
        middlewares=[middlewares.observe_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics or Metrics.for_service(settings, "api")
    app[keys.HTTP_METRICS] = HttpMetrics(app[keys.METRICS])
    app[keys.KEYRING] = keyring(settings)
    app[keys.CLOSING] = asyncio.Event()
    app[keys.AUTH_CHECKS] = {}
    app.cleanup_ctx.append(_postgres)
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_http)
    app.on_response_prepare.append(middlewares.add_request_id_header)
    app.on_response_prepare.append(ratelimit.add_headers)
    app.on_startup.append(docs.prepare)
    app.on_shutdown.append(sse.close_all)
    for table in (
        health.routes,
        auth.routes,
        account.routes,
        orgs.routes,
        repos.routes,
        history.routes,
        badges.routes,
        jobs.routes,
        analyses.routes,
        rehearsals.routes,
        events.routes,
        usage.routes,
        admin.routes,
        webhooks.routes,
        docs.routes,
    ):
        app.add_routes(table)
    dashboard.setup(app)
    return app
