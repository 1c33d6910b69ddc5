"""The scheduler's Redis leader lock: one replica acts, another takes over when it goes."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from services.scheduler.leader import LeaderLock


async def test_only_one_holder_at_a_time(redis: Redis) -> None:
    first = LeaderLock(redis, "test:leader", ttl_ms=10_000)
    second = LeaderLock(redis, "test:leader", ttl_ms=10_000)
    assert await first.hold()
    assert not await second.hold()
    assert await first.hold()  # renewing is holding
    await first.release()
    assert await second.hold()
    assert not await first.hold()


async def test_a_dead_leader_is_replaced_after_its_ttl(redis: Redis) -> None:
    dead = LeaderLock(redis, "test:leader", ttl_ms=200)
    alive = LeaderLock(redis, "test:leader", ttl_ms=10_000)
    assert await dead.hold()
    assert not await alive.hold()
    await asyncio.sleep(0.3)  # the dead leader never renews
    assert await alive.hold()


async def test_release_by_a_non_holder_changes_nothing(redis: Redis) -> None:
    holder = LeaderLock(redis, "test:leader", ttl_ms=10_000)
    other = LeaderLock(redis, "test:leader", ttl_ms=10_000)
    assert await holder.hold()
    await other.release()
    assert await redis.get("test:leader") == holder.identity.encode()


async def test_a_leader_whose_lock_was_taken_over_steps_down(redis: Redis) -> None:
    slow = LeaderLock(redis, "test:leader", ttl_ms=200)
    other = LeaderLock(redis, "test:leader", ttl_ms=10_000)
    assert await slow.hold()
    await asyncio.sleep(0.3)  # paused past its TTL
    assert await other.hold()
    assert not await slow.hold()  # renewing someone else's lock is not holding
    await slow.release()
    assert await redis.get("test:leader") == other.identity.encode()
