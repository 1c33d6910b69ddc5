"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aiohttp import web

from libs.common.redis import queue
from services.api import keys
from services.api.body import json_response
from services.api.errors import ServiceUnavailable, problem_response
from services.api.spec import operation
from services.api.views import Health, Readiness

routes = web.RouteTableDef()
CHECK_TIMEOUT_S = 2.0


@routes.get("/health")
@operation(
    "Liveness: the process answers",
    tags=("operations",),
    responses={200: Health},
    security="none",
    rate_limit="none",
)
async def health(request: web.Request) -> web.Response:
    return json_response(Health(status="ok"))


async def _check(name: str, probe: Awaitable[object]) -> tuple[str, str]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await probe
        return name, "ok"
    except TimeoutError:
        return name, "timeout"
    except Exception as exc:  # any failure means "not ready", with its kind shown
        return name, f"unavailable: {type(exc).__name__}"


async def _postgres(request: web.Request) -> None:
    async with request.app[keys.POOL].acquire() as conn:
        await conn.fetchval("SELECT 1")


@routes.get("/ready")
@operation(
    "Readiness: PostgreSQL and Redis answer",
    tags=("operations",),
    description="503 names each dependency that did not answer within 2 s.",
    responses={200: Readiness},
    errors=(ServiceUnavailable,),
    security="none",
    rate_limit="none",
)
async def ready(request: web.Request) -> web.Response:
    results = dict(
        await asyncio.gather(
            _check("postgres", _postgres(request)),
            _check("redis", request.app[keys.REDIS].ping()),
        )
    )
    metrics = request.app[keys.METRICS]
    for name, state in results.items():
        metrics.dependency_up.labels(name).set(1 if state == "ok" else 0)
    failing = [name for name, state in results.items() if state != "ok"]
    if failing:
        return problem_response(
            503,
            "not-ready",
            "Not ready",
            f"Not answering: {', '.join(failing)}.",
            checks=results,
            headers={"Retry-After": "5"},
        )
    return json_response(Readiness(status="ready", checks=results))


@routes.get("/metrics")
@operation(
    "Prometheus metrics of this api process",
    tags=("operations",),
    responses={200: "text/plain"},
    security="none",
    rate_limit="none",
)
async def metrics(request: web.Request) -> web.Response:
    registry = request.app[keys.METRICS]
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await refresh_queue_gauges(request.app)
    except Exception:  # a scrape must still answer when Redis is down
        registry.dependency_up.labels("redis").set(0)
    body, content_type = registry.render()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def refresh_queue_gauges(app: web.Application) -> None:
    registry = app[keys.METRICS]
    for kind in queue.KINDS:
        count, age = await queue.depth(app[keys.REDIS], kind)
        registry.queue_depth.labels(kind).set(count)
        registry.queue_oldest_age.labels(kind).set(age or 0.0)
