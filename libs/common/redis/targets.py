"""Where the workers' and schedulers' /metrics listen, kept in Redis for Prometheus.

Several replicas on one host cannot all have WORKER_METRICS_PORT; the ones that find it
taken listen on a free port. Each process keeps its `host:port` registered here with a
short expiry, and the api serves the live ones in Prometheus's HTTP service-discovery
format (`GET /metrics/targets`), so every replica is scraped wherever it listens.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from libs.common.redis import keys

TTL_S = 30
REFRESH_S = 10.0


async def register(redis: Redis, service: str, address: str, ttl_s: int = TTL_S) -> None:
    now = time.time()
    key = keys.metrics_targets(service)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(key, {address: now + ttl_s})
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.expire(key, ttl_s)
        await pipe.execute()


async def unregister(redis: Redis, service: str, address: str) -> None:
    await redis.zrem(keys.metrics_targets(service), address)


async def live(redis: Redis, service: str) -> list[str]:
    """The registered addresses that have not expired, sorted."""
    found = await redis.zrangebyscore(keys.metrics_targets(service), time.time(), "+inf")
    return sorted(a.decode() if isinstance(a, bytes) else str(a) for a in found)
