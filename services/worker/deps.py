"""What every job needs, built once per worker process and put in arq's ctx."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db.pool import create_pool
from libs.common.metrics import Metrics
from libs.common.redis.client import create_redis


@dataclass
class Deps:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    metrics: Metrics

    @classmethod
    async def create(cls, settings: Settings, metrics: Metrics | None = None) -> Deps:
        pool = await create_pool(settings)
        return cls(settings, pool, create_redis(settings), metrics or Metrics())

    async def close(self) -> None:
        await self.redis.aclose()
        await self.pool.close()
