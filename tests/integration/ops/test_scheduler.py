"""Scheduler replicas over a simulated day: one event per (task, slot), whatever happens."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import msgspec
import pytest
from cronsim import CronSim
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db.pool import create_pool
from libs.common.metrics import Metrics
from libs.common.redis import keys
from libs.ops import schedule
from services.scheduler.loop import Scheduler

BACKUP_CRON = "0 */3 * * *"
CLEANUP_CRON = "15 * * * *"
DAY_START = dt.datetime(2024, 3, 10, 0, 0, 30, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


class SimClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def sched_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        schedule_backup_cron=BACKUP_CRON,
        schedule_cleanup_cron=CLEANUP_CRON,
        schedule_catchup_seconds=3600,
    )


@pytest.fixture
async def pool(sched_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(sched_settings, min_size=0, max_size=2)
    yield pool
    await pool.close()


async def emitted(redis: Redis) -> collections.Counter[tuple[str, dt.datetime]]:
    entries = await redis.xrange(keys.SCHEDULE_STREAM)
    found: collections.Counter[tuple[str, dt.datetime]] = collections.Counter()
    for _, fields in entries:
        event = schedule.decode(fields)
        found[(event.task, event.slot)] += 1
    return found


def slots(expr: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    found: list[dt.datetime] = []
    for slot in CronSim(expr, start - dt.timedelta(seconds=1)):
        if slot > end:
            return found
        found.append(slot)
    raise AssertionError("unreachable")


async def test_two_replicas_over_a_day_emit_each_slot_once(
    sched_settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> None:
    clock = SimClock(DAY_START)

    metrics = Metrics()

    def replica(name: str) -> Scheduler:
        return Scheduler(sched_settings, pool, redis, metrics, clock=clock, identity=name)

    replicas = [replica("a"), replica("b")]
    crashes = {
        # The leader dies right after emitting the 09:00 backup; a fresh process starts in
        # the same slot, and the other replica takes over once the lock is gone.
        dt.datetime(2024, 3, 10, 9, 1, tzinfo=dt.UTC): "restart",
        dt.datetime(2024, 3, 10, 15, 16, tzinfo=dt.UTC): "restart",
    }
    # From 17:00 to 19:00 leadership flips on every tick: only the per-slot marker stands
    # between two leaders and a duplicate.
    flapping = (
        dt.datetime(2024, 3, 10, 17, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 10, 19, 0, tzinfo=dt.UTC),
    )
    # Nobody runs from 10:10 to 12:40: backup 12:00 and cleanup 12:15 are caught up on
    # start (younger than an hour); cleanup 10:15 and 11:15 are too old and are not.
    outage = (
        dt.datetime(2024, 3, 10, 10, 10, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 10, 12, 40, tzinfo=dt.UTC),
    )
    end = DAY_START + dt.timedelta(days=1)
    while clock.now < end:
        if outage[0] <= clock.now < outage[1]:
            clock.now = outage[1]
            await redis.delete(keys.SCHEDULER_LEADER)
            replicas = [replica("a2"), replica("b2")]
        if crashes.pop(clock.now.replace(second=0), None):
            leader = next(r for r in replicas if r.leader)
            replicas.remove(leader)
            await redis.delete(keys.SCHEDULER_LEADER)  # its lock expires
            replicas.append(replica(f"{leader.identity}-restarted"))
        for r in replicas:
            if flapping[0] <= clock.now < flapping[1]:
                await redis.delete(keys.SCHEDULER_LEADER)
            await r.tick()
        clock.now += STEP

    assert not crashes
    found = await emitted(redis)
    missed = {
        ("cleanup", dt.datetime(2024, 3, 10, 10, 15, tzinfo=dt.UTC)),
        ("cleanup", dt.datetime(2024, 3, 10, 11, 15, tzinfo=dt.UTC)),
    }
    # On the first start, backup 00:00 (30 s old) and cleanup 23:15 the day before (45 min
    # old) are both younger than the catch-up window: each is emitted once.
    window_start = DAY_START - dt.timedelta(minutes=45, seconds=30)
    expected = {("backup", s) for s in slots(BACKUP_CRON, window_start, end)} | {
        ("cleanup", s) for s in slots(CLEANUP_CRON, window_start, end)
    }
    expected -= missed
    assert set(found) == expected
    assert all(count == 1 for count in found.values()), found.most_common(3)
    assert metrics.schedule_slots_missed.labels("cleanup")._value.get() == len(missed)
    assert metrics.schedule_slots_missed.labels("backup")._value.get() == 0
    assert len(expected) == 9 + 25 - 2  # 00:00 twice (both ends), 23:15 the day before


async def test_restart_inside_a_slot_does_not_emit_again(
    sched_settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> None:
    clock = SimClock(dt.datetime(2024, 3, 10, 3, 0, 5, tzinfo=dt.UTC))
    first = Scheduler(sched_settings, pool, redis, Metrics(), clock=clock, identity="first")
    await first.tick()
    assert await redis.xlen(keys.SCHEDULE_STREAM) == 2  # backup 03:00, cleanup 02:15
    await first.lock.release()

    for minute in range(1, 4):
        clock.now = clock.now.replace(minute=minute)
        again = Scheduler(sched_settings, pool, redis, Metrics(), clock=clock, identity="again")
        await again.tick()
        assert again.leader
        await again.lock.release()
    assert await redis.xlen(keys.SCHEDULE_STREAM) == 2


async def test_slot_older_than_catchup_is_not_emitted_on_start(
    sched_settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> None:
    daily = msgspec.structs.replace(
        sched_settings, schedule_backup_cron="0 2 * * *", schedule_cleanup_cron="0 2 * * *"
    )
    clock = SimClock(dt.datetime(2024, 3, 8, 2, 0, 10, tzinfo=dt.UTC))
    first = Scheduler(daily, pool, redis, Metrics(), clock=clock, identity="first")
    await first.tick()
    await first.lock.release()
    assert await redis.xlen(keys.SCHEDULE_STREAM) == 2

    # Down for two days: the 9th's slots went by unseen, the 10th's are too old on start.
    clock.now = dt.datetime(2024, 3, 10, 9, 30, tzinfo=dt.UTC)
    metrics = Metrics()
    scheduler = Scheduler(daily, pool, redis, metrics, clock=clock, identity="late")
    await scheduler.tick()
    assert await redis.xlen(keys.SCHEDULE_STREAM) == 2
    assert metrics.schedule_slots_missed.labels("backup")._value.get() == 2

    clock.now = dt.datetime(2024, 3, 11, 2, 0, 1, tzinfo=dt.UTC)
    await scheduler.tick()
    assert await emitted(redis) == {
        ("backup", dt.datetime(2024, 3, 8, 2, tzinfo=dt.UTC)): 1,
        ("cleanup", dt.datetime(2024, 3, 8, 2, tzinfo=dt.UTC)): 1,
        ("backup", dt.datetime(2024, 3, 11, 2, tzinfo=dt.UTC)): 1,
        ("cleanup", dt.datetime(2024, 3, 11, 2, tzinfo=dt.UTC)): 1,
    }


async def test_a_first_start_after_the_slot_misses_nothing(
    sched_settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> None:
    daily = msgspec.structs.replace(sched_settings, schedule_backup_cron="0 2 * * *")
    clock = SimClock(dt.datetime(2024, 3, 10, 15, 0, tzinfo=dt.UTC))
    metrics = Metrics()
    await Scheduler(daily, pool, redis, metrics, clock=clock, identity="new").tick()
    assert metrics.schedule_slots_missed.labels("backup")._value.get() == 0
    assert ("backup", dt.datetime(2024, 3, 10, 2, tzinfo=dt.UTC)) not in await emitted(redis)
