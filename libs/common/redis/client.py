"""The Redis client every service uses (redis-py asyncio, bytes in and out)."""

from __future__ import annotations

from redis.asyncio import Redis

from libs.common.config import Settings

# Longer than any blocking read we issue (XREAD BLOCK is at most 5 s), so a dead server
# is noticed instead of waited on forever.
SOCKET_TIMEOUT_S = 10.0


def create_redis(settings: Settings, *, socket_timeout: float | None = SOCKET_TIMEOUT_S) -> Redis:
    """A client on its own pool. Connection failures surface on first use, not here.

    `socket_timeout=None` is for callers that bound each exchange themselves.
    """
    client: Redis = Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=socket_timeout,
        health_check_interval=30,
    )
    return client
