"""Health, readiness, metrics, authentication and error shapes of the api."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import msgspec

from libs.common.config import Settings
from libs.common.embedded import EmbeddedRedis
from services.api.app import create_app
from tests.conftest import Tenant
from tests.integration.api.conftest import Client, ClientFactory

PROBLEM = "application/problem+json"


async def test_health_is_always_ok(client: Client) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]


async def test_ready_reports_each_dependency(client: Client) -> None:
    response = await client.get("/ready")
    assert response.status == 200
    assert (await response.json())["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_ready_follows_redis_down_and_back(
    aiohttp_client: ClientFactory, settings: Settings, tmp_path: Path
) -> None:
    # A Redis of our own, so stopping it cannot disturb other tests.
    own = EmbeddedRedis(tmp_path / "redis", persist=False)
    url = own.start()
    port = own.port
    try:
        client = await aiohttp_client(create_app(msgspec.structs.replace(settings, redis_url=url)))
        assert (await client.get("/ready")).status == 200
        own.stop()
        down = await client.get("/ready")
        assert down.status == 503
        assert down.content_type == PROBLEM
        body = await down.json()
        assert body["checks"]["postgres"] == "ok"
        assert body["checks"]["redis"] != "ok"
        assert "redis" in body["detail"]
        own = EmbeddedRedis(tmp_path / "redis", port=port, persist=False)
        own.start()
        assert (await client.get("/ready")).status == 200
    finally:
        own.stop()


async def test_ready_is_503_when_postgres_is_unreachable(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    broken = msgspec.structs.replace(
        settings, database_url="postgresql://postgres@127.0.0.1:1/nowhere"
    )
    client = await aiohttp_client(create_app(broken))
    response = await client.get("/ready")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["postgres"] != "ok"


async def test_metrics_use_route_templates(client: Client, tenant: Tenant) -> None:
    for _ in range(2):
        await client.get(f"/v1/jobs/{uuid.uuid4()}", headers=tenant.headers)
    text = await (await client.get("/metrics")).text()
    assert (
        'autodevops_http_requests_total{method="GET",route="/v1/jobs/{id}",status_class="4xx"} 2.0'
        in text
    )
    assert "autodevops_http_request_duration_seconds_bucket" in text
    assert "autodevops_queue_depth" in text


async def test_a_wrong_method_is_405_naming_the_allowed_ones(client: Client) -> None:
    response = await client.delete("/health")
    assert response.status == 405
    assert response.content_type == PROBLEM
    assert (await response.json())["type"] == "/problems/method-not-allowed"
    assert set(response.headers["Allow"].split(",")) >= {"GET"}


async def test_no_token_is_401_problem(client: Client) -> None:
    response = await client.get("/v1/repos")
    assert response.status == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = await response.json()
    assert body["type"] == "/problems/unauthorized"
    assert body["status"] == 401


async def test_wrong_token_is_401(client: Client) -> None:
    for header in ("Bearer ado_" + "x" * 43, "Bearer nonsense", "Basic YWRtaW46YWRtaW4="):
        response = await client.get("/v1/repos", headers={"Authorization": header})
        assert response.status == 401, header
        assert response.content_type == PROBLEM


async def test_unknown_route_is_a_problem_not_html(client: Client) -> None:
    response = await client.get("/nowhere")
    assert response.status == 404
    assert response.content_type == PROBLEM


async def test_oversized_body_is_413(client: Client, tenant: Tenant) -> None:
    body = b'{"url": "https://example.com/' + b"a" * (1024 * 1024) + b'"}'
    response = await client.post("/v1/repos", data=io.BytesIO(body), headers=tenant.headers)
    assert response.status == 413
    assert response.content_type == PROBLEM
