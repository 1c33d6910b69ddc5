"""The scheduler loop: hold the leader lock, then do what is due."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common import jobs
from libs.common.config import Settings
from libs.common.metrics import Metrics
from libs.common.redis import keys
from services.scheduler.leader import LeaderLock

log = structlog.get_logger(__name__)

TICK_S = 1.0
LOCK_TTL_MS = 15_000
RECONCILE_EVERY_S = 60.0


@dataclass
class Scheduler:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    metrics: Metrics
    lock: LeaderLock = field(init=False)
    leader: bool = False
    _last_reconcile: float = 0.0

    def __post_init__(self) -> None:
        self.lock = LeaderLock(self.redis, keys.SCHEDULER_LEADER, LOCK_TTL_MS)

    async def tick(self) -> None:
        was_leader = self.leader
        self.leader = await self.lock.hold()
        self.metrics.scheduler_leader.set(1 if self.leader else 0)
        if self.leader != was_leader:
            log.info("leadership changed", leader=self.leader)
        if not self.leader:
            return
        self.metrics.scheduler_ticks.inc()
        now = time.monotonic()
        if now - self._last_reconcile >= RECONCILE_EVERY_S:
            self._last_reconcile = now
            count = await jobs.reconcile(self.pool, self.redis)
            if count:
                log.info("reconciler re-enqueued jobs", count=count)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except (RedisError, OSError, asyncpg.PostgresError) as exc:
                self.leader = False
                log.warning("scheduler tick failed", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), TICK_S)
            except TimeoutError:
                pass
        if self.leader:
            try:
                await self.lock.release()
            except RedisError:
                pass
