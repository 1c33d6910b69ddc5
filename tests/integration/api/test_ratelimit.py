"""Rate limits shared through Redis by every api replica."""

from __future__ import annotations

import asyncio

import msgspec
from aiohttp import ClientResponse

from libs.common.config import Settings
from services.api.app import create_app
from tests.conftest import Tenant
from tests.integration.api.conftest import Client, ClientFactory


async def replicas(factory: ClientFactory, settings: Settings, n: int = 2) -> list[Client]:
    return [await factory(create_app(settings)) for _ in range(n)]


def limited(settings: Settings, **changes: int) -> Settings:
    return msgspec.structs.replace(settings, **changes)


async def test_n_plus_one_requests_across_two_replicas_let_exactly_n_pass(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    n = 7
    a, b = await replicas(aiohttp_client, limited(settings, rate_limit_requests=n))
    responses = await asyncio.gather(
        *((a if i % 2 else b).get("/v1/repos", headers=tenant.headers) for i in range(n + 1))
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * n + [429]
    [refused] = [r for r in responses if r.status == 429]
    assert refused.content_type == "application/problem+json"
    assert (await refused.json())["type"] == "/problems/rate-limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Limit"] == str(n)
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["RateLimit-Policy"] == f"{n};w=60"


async def test_every_limited_response_says_what_is_left(
    client: Client, settings: Settings, tenant: Tenant
) -> None:
    remaining = []
    for _ in range(3):
        response = await client.get("/v1/repos", headers=tenant.headers)
        assert response.headers["RateLimit-Limit"] == str(settings.rate_limit_requests)
        assert int(response.headers["RateLimit-Reset"]) >= 1
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    limit = settings.rate_limit_requests
    assert remaining == [limit - 1, limit - 2, limit - 3]


async def test_users_have_their_own_budgets(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, other_tenant: Tenant
) -> None:
    [client] = await replicas(aiohttp_client, limited(settings, rate_limit_requests=2), 1)
    for _ in range(2):
        assert (await client.get("/v1/repos", headers=tenant.headers)).status == 200
    assert (await client.get("/v1/repos", headers=tenant.headers)).status == 429
    assert (await client.get("/v1/repos", headers=other_tenant.headers)).status == 200


async def test_starting_work_has_a_stricter_budget(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    [client] = await replicas(aiohttp_client, limited(settings, rate_limit_expensive_requests=2), 1)
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/a/b"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    statuses = [
        (await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)).status
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]
    # Reading is still allowed: only the expensive budget is spent.
    assert (await client.get(f"/v1/repos/{repo_id}", headers=tenant.headers)).status == 200


async def test_unauthenticated_routes_are_limited_per_ip(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    a, b = await replicas(aiohttp_client, limited(settings, rate_limit_requests=3))
    statuses = [(await (a, b)[i % 2].get("/nowhere")).status for i in range(4)]
    assert statuses == [404, 404, 404, 429]
    # Health, readiness and metrics are never limited (probes and scrapers).
    for path in ("/health", "/ready", "/metrics"):
        assert (await a.get(path)).status == 200, path


async def test_guessing_tokens_is_limited_per_ip_across_replicas(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    # Behind one trusted proxy, X-Forwarded-For tells the two callers apart.
    shared = limited(settings, rate_limit_auth_requests=3, trusted_proxy_count=1)
    a, b = await replicas(aiohttp_client, shared)
    guesser = {"X-Forwarded-For": "203.0.113.7"}
    bad = guesser | {"Authorization": "Bearer ado_not-a-real-token"}
    statuses = [(await (a, b)[i % 2].get("/v1/repos", headers=bad)).status for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = await a.get("/v1/repos", headers=guesser)  # no credentials: the same budget
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert (refused.headers["RateLimit-Remaining"], refused.headers["RateLimit-Limit"]) == (
        "0",
        "3",
    )
    # A valid token from that same address (a NAT, a proxy) still works: credentials are
    # looked up first, and only failures are slowed.
    for _ in range(3):
        assert (await a.get("/v1/repos", headers=tenant.headers | guesser)).status == 200
    # Failures alone spend it: a caller elsewhere whose token works is never counted.
    elsewhere = tenant.headers | {"X-Forwarded-For": "198.51.100.2"}
    for _ in range(5):
        assert (await b.get("/v1/repos", headers=elsewhere)).status == 200


async def test_forwarded_for_is_used_only_behind_trusted_proxies(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    def spoofed(ip: str) -> dict[str, str]:
        return {"X-Forwarded-For": f"{ip}, 10.0.0.1"}

    [direct] = await replicas(aiohttp_client, limited(settings, rate_limit_requests=1), 1)
    assert (await direct.get("/nowhere", headers=spoofed("1.1.1.1"))).status == 404
    # Without a trusted proxy the header is ignored: a new address gains nothing.
    assert (await direct.get("/nowhere", headers=spoofed("2.2.2.2"))).status == 429

    proxied = limited(settings, rate_limit_requests=1, trusted_proxy_count=2)
    [behind] = await replicas(aiohttp_client, proxied, 1)
    assert (await behind.get("/nowhere", headers=spoofed("3.3.3.3"))).status == 404
    assert (await behind.get("/nowhere", headers=spoofed("3.3.3.3"))).status == 429
    assert (await behind.get("/nowhere", headers=spoofed("4.4.4.4"))).status == 404


async def test_a_proxy_that_adds_its_own_forwarded_for_line_is_read_last(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    # The client makes up the first line; the trusted proxy adds a second one with the
    # address it saw, rather than appending to the client's.
    [behind] = await replicas(
        aiohttp_client, limited(settings, rate_limit_requests=1, trusted_proxy_count=1), 1
    )
    for made_up in ("6.6.6.1", "6.6.6.2"):
        headers = [("X-Forwarded-For", made_up), ("X-Forwarded-For", "10.0.0.9")]
        status = (await behind.get("/nowhere", headers=headers)).status
        assert status == (404 if made_up.endswith("1") else 429)


async def test_budget_comes_back_gradually_not_in_a_window_burst(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    # 4 per 2 s: one request comes back every 0.5 s, never 4 at a window boundary.
    [client] = await replicas(
        aiohttp_client, limited(settings, rate_limit_requests=4, rate_limit_window_seconds=2), 1
    )

    async def burst(n: int) -> list[int]:
        got: list[ClientResponse] = [
            await client.get("/v1/repos", headers=tenant.headers) for _ in range(n)
        ]
        return [r.status for r in got]

    assert await burst(5) == [200, 200, 200, 200, 429]
    await asyncio.sleep(0.6)
    assert await burst(3) == [200, 429, 429]


async def test_refused_requests_are_counted(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    [client] = await replicas(aiohttp_client, limited(settings, rate_limit_requests=1), 1)
    await client.get("/v1/repos", headers=tenant.headers)
    await client.get("/v1/repos", headers=tenant.headers)
    text = await (await client.get("/metrics")).text()
    assert 'autodevops_rate_limited_requests_total{policy="default"} 1.0' in text
