"""Gauges read when Prometheus scrapes: queue depths, webhook backlog, AI tokens today, the
newest backup, and whether PostgreSQL and Redis answer. The api and every worker export
them (dashboards and alerts take `max`), so they stay visible while either kind of
process is down."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from redis.asyncio import Redis

from libs.common.db import ai_usage, backups
from libs.common.metrics import Metrics
from libs.common.redis import keys, queue
from libs.common.schemas import KINDS

log = structlog.get_logger(__name__)
TIMEOUT_S = 2.0


async def refresh(metrics: Metrics, pool: asyncpg.Pool, redis: Redis) -> None:
    """Update the scrape-time gauges; a dependency that does not answer is marked down."""
    await asyncio.gather(_from_redis(metrics, redis), _from_postgres(metrics, pool))


async def _from_redis(metrics: Metrics, redis: Redis) -> None:
    try:
        async with asyncio.timeout(TIMEOUT_S):
            depths = [await queue.depth(redis, kind) for kind in KINDS]
            waiting = await redis.xlen(keys.WEBHOOKS_STREAM)
            dead = await redis.xlen(keys.WEBHOOKS_DEAD_LETTER)
    except Exception as exc:  # a scrape must still answer, saying Redis is down
        log.warning("metrics: redis did not answer", error=str(exc))
        metrics.dependency_up.labels("redis").set(0)
        return
    metrics.dependency_up.labels("redis").set(1)
    for kind, (count, age) in zip(KINDS, depths, strict=True):
        metrics.queue_depth.labels(kind).set(count)
        metrics.queue_oldest_age.labels(kind).set(age or 0.0)
    metrics.webhook_stream_entries.set(waiting)
    metrics.webhook_dead_letters.set(dead)


async def _from_postgres(metrics: Metrics, pool: asyncpg.Pool) -> None:
    try:
        async with asyncio.timeout(TIMEOUT_S), pool.acquire() as conn:
            tokens = await ai_usage.platform_tokens_today(conn)
            freshness = await backups.freshness(conn)
    except Exception as exc:
        log.warning("metrics: postgres did not answer", error=str(exc))
        metrics.dependency_up.labels("postgres").set(0)
        return
    metrics.dependency_up.labels("postgres").set(1)
    metrics.ai_tokens_today.set(tokens)
    set_backup_metrics(metrics, freshness)


def set_backup_metrics(metrics: Metrics, freshness: backups.Freshness) -> None:
    metrics.database_created.set(freshness.database_created.timestamp())
    latest = freshness.latest
    if latest is None or latest.finished_at is None:
        return
    metrics.backup_last_success.set(latest.finished_at.timestamp())
    metrics.backup_verified.set(1 if latest.verified else 0)
    metrics.backup_size.set(latest.size_bytes or 0)
