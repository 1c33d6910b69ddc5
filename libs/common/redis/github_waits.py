"""The waits GitHub asked for, in Redis: every replica holds back for the same principal.

A `libs.github.transport.RateGate` (structurally: nothing of libs/github is imported).
"""

from __future__ import annotations

import math
import time

from redis.asyncio import Redis

from libs.common.redis import keys


class RedisRateGate:
    """A `RateGate` on Redis: one key per principal, expiring when the wait is over."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def blocked_until(self, principal: str) -> float | None:
        value = await self._redis.get(keys.github_wait(principal))
        return float(value) if value is not None else None

    async def block(self, principal: str, until: float) -> None:
        seconds = math.ceil(until - time.time())
        if seconds > 0:
            await self._redis.set(keys.github_wait(principal), f"{until:.3f}", ex=seconds)
