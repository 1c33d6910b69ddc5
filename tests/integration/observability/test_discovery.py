"""Two workers on one host: the second finds the metrics port taken and serves on another;
both are registered, and the api lists them for Prometheus until they stop. Scrape-time
gauges answer even when a dependency does not."""

from __future__ import annotations

import asyncio

import aiohttp
import msgspec
from redis.asyncio import Redis

from libs.common import metrics_server, scrape
from libs.common.config import Settings
from libs.common.db.pool import create_pool
from libs.common.embedded import free_port
from libs.common.metrics import Metrics
from libs.common.redis import targets
from services.api.app import create_app
from tests.integration.api.conftest import ClientFactory


async def test_replicas_on_one_port_both_serve_and_are_listed_for_prometheus(
    aiohttp_client: ClientFactory, settings: Settings, redis: Redis
) -> None:
    port = free_port()
    client = await aiohttp_client(create_app(settings))
    first_metrics, second_metrics = Metrics(roles=("worker",)), Metrics(roles=("worker",))
    first_metrics.jobs.labels("sync", "succeeded").inc(3)
    async with (
        metrics_server.serving(first_metrics, settings, "worker", port, redis) as first,
        metrics_server.serving(second_metrics, settings, "worker", port, redis) as second,
    ):
        assert first == f"127.0.0.1:{port}"
        assert second != first
        assert second.startswith("127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            for address, expected in ((first, "3.0"), (second, "0.0")):
                async with http.get(f"http://{address}/metrics") as scraped:
                    text = await scraped.text()
                line = f'autodevops_jobs_total{{outcome="succeeded",queue="sync"}} {expected}'
                assert line in text, address
        listed = await (await client.get("/metrics/targets?service=worker")).json()
        assert listed == [{"targets": sorted([first, second]), "labels": {"service": "worker"}}]
        assert await (await client.get("/metrics/targets?service=scheduler")).json() == []
        refused = await client.get("/metrics/targets?service=api")
        assert refused.status == 400
    # A clean stop removes the registration at once.
    assert await (await client.get("/metrics/targets")).json() == []


async def test_a_registration_expires_when_its_process_dies(redis: Redis) -> None:
    await targets.register(redis, "worker", "10.0.0.7:9101", ttl_s=1)
    assert await targets.live(redis, "worker") == ["10.0.0.7:9101"]
    await asyncio.sleep(1.1)  # no refresh came: the process is gone
    assert await targets.live(redis, "worker") == []


def test_the_advertised_host_is_reachable_not_a_wildcard(settings: Settings) -> None:
    wildcard = msgspec.structs.replace(settings, metrics_host="0.0.0.0")
    host = metrics_server.advertised_address(wildcard, 9101).rsplit(":", 1)[0]
    assert host not in ("0.0.0.0", "")
    named = msgspec.structs.replace(wildcard, metrics_advertise_host="worker-3.internal")
    assert metrics_server.advertised_address(named, 9101) == "worker-3.internal:9101"
    ipv6 = msgspec.structs.replace(settings, metrics_host="::1")
    assert metrics_server.advertised_address(ipv6, 9101) == "[::1]:9101"


async def test_scrape_time_gauges_mark_an_unreachable_redis_down(settings: Settings) -> None:
    metrics = Metrics(roles=("api",))
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    pool = await create_pool(settings, min_size=0)
    try:
        await scrape.refresh(metrics, pool, dead)
    finally:
        await dead.aclose()
        await pool.close()
    assert metrics.dependency_up.labels("redis")._value.get() == 0
    assert metrics.dependency_up.labels("postgres")._value.get() == 1
