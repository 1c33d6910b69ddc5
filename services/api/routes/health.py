"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Literal

import msgspec
from aiohttp import web

from libs.common import scrape
from libs.common.redis import targets
from services.api.http import keys
from services.api.http.body import decode_query, json_response
from services.api.http.errors import ServiceUnavailable, problem_response
from services.api.http.spec import operation
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
    description=(
        "Also reads, at scrape time, the queue depths, the webhook backlog, the platform's "
        "AI tokens today and whether PostgreSQL and Redis answer (docs/metrics.md)."
    ),
    responses={200: "text/plain"},
    security="none",
    rate_limit="none",
)
async def metrics(request: web.Request) -> web.Response:
    app = request.app
    await scrape.refresh(app[keys.METRICS], app[keys.POOL], app[keys.REDIS])
    body, content_type = app[keys.METRICS].render()
    return web.Response(body=body, headers={"Content-Type": content_type})


class TargetsQuery(msgspec.Struct, kw_only=True):
    service: Literal["worker", "scheduler"] | None = None


class TargetGroup(msgspec.Struct, kw_only=True):
    targets: list[str]
    labels: dict[str, str]


@routes.get("/metrics/targets")
@operation(
    "Where the workers and schedulers serve /metrics (Prometheus HTTP service discovery)",
    tags=("operations",),
    description=(
        "Every live worker and scheduler process registers its metrics `host:port` in "
        "Redis; point Prometheus's `http_sd_configs` here (`?service=worker` or "
        "`?service=scheduler`) to scrape every replica wherever it listens."
    ),
    query=TargetsQuery,
    responses={200: list[TargetGroup]},
    errors=(ServiceUnavailable,),
    security="none",
    rate_limit="none",
)
async def metrics_targets(request: web.Request) -> web.Response:
    query = decode_query(request, TargetsQuery)
    services = [query.service] if query.service else ["worker", "scheduler"]
    groups = []
    for service in services:
        found = await targets.live(request.app[keys.REDIS], service)
        if found:
            groups.append(TargetGroup(targets=found, labels={"service": service}))
    return json_response(groups)
