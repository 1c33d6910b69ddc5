"""Everything the api keeps on its Application, as typed AppKeys."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import asyncpg
from aiohttp import web
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.crypto import Keyring
from libs.common.metrics import Metrics
from libs.common.schemas import Principal
from services.api.http.fanout import StreamHub
from services.api.http.metrics import HttpMetrics

if TYPE_CHECKING:  # the HTTP machinery never imports the domain modules at run time
    from services.api.webhook_intake import Intake

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", Redis)
METRICS = web.AppKey("metrics", Metrics)
HTTP_METRICS = web.AppKey("http_metrics", HttpMetrics)
# Outbound HTTP (GitHub), one session per app.
HTTP = web.AppKey("http", aiohttp.ClientSession)
KEYRING: web.AppKey[Keyring | None] = web.AppKey("keyring")
WEBHOOK_INTAKE: web.AppKey[Intake] = web.AppKey("webhook_intake")
# Set when the app shuts down: every open SSE stream ends.
CLOSING = web.AppKey("closing", asyncio.Event)
# One Redis reader per event stream key, shared by every open stream on it.
HUB = web.AppKey("stream_hub", StreamHub)
# Recent credential checks of open event streams: credential digest -> (until, identity).
AUTH_CHECKS: web.AppKey[dict[str, tuple[float, tuple[object, object] | None]]] = web.AppKey(
    "auth_checks"
)

# Request-scoped: set by the middlewares.
REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)


def principal(request: web.Request) -> Principal:
    value = request.get(PRINCIPAL)
    assert isinstance(value, Principal), "route is not behind the auth middleware"
    return value
