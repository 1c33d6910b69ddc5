"""The maintenance consumer: each schedule slot runs once, survives dead workers, retries."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import msgspec
import pytest
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import maintenance as runs_db
from libs.common.redis import keys
from libs.ops import schedule
from libs.ops.schedule import ScheduleEvent, Task
from services.worker.deps import Deps
from services.worker.maintenance.consumer import MaintenanceConsumer

SLOT = dt.datetime(2024, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def deps(settings: Settings) -> AsyncIterator[Deps]:
    deps = await Deps.create(settings)
    yield deps
    await deps.close()


def consumer(deps: Deps, name: str, **kwargs: object) -> MaintenanceConsumer:
    return MaintenanceConsumer(deps, name, block_ms=10, **kwargs)  # type: ignore[arg-type]


async def emit(redis: Redis, task: Task, slot: dt.datetime = SLOT) -> str:
    event = ScheduleEvent(task=task, slot=slot, emitted_at=slot, emitter="test")
    entry = await schedule.emit_once(redis, event, 3600)
    assert entry is not None
    return entry


async def redeliver(redis: Redis, task: Task, slot: dt.datetime = SLOT) -> None:
    # The same slot once more, past the scheduler's marker: what a replayed stream holds.
    event = ScheduleEvent(task=task, slot=slot, emitted_at=slot, emitter="replay")
    await redis.xadd(keys.SCHEDULE_STREAM, {"event": msgspec.json.encode(event)})


async def dies_mid_run(worker: MaintenanceConsumer, db: asyncpg.Connection, redis: Redis) -> None:
    """`worker` reads a cleanup entry and claims its run, then its process dies."""
    await worker.ensure_group()
    await emit(redis, "cleanup")
    [(entry_id, _)] = await worker._read(">")
    run = await runs_db.claim(
        db, "cleanup", SLOT, entry_id=entry_id.decode(), consumer=worker.name, lease=dt.timedelta(0)
    )
    assert run is not None


async def pending(redis: Redis) -> int:
    info = await redis.xpending(keys.SCHEDULE_STREAM, keys.SCHEDULE_GROUP)
    return int(info["pending"])


async def test_backup_and_cleanup_run_once_per_slot(
    deps: Deps, db: asyncpg.Connection, redis: Redis
) -> None:
    worker = consumer(deps, "w1")
    await worker.start()
    await emit(redis, "backup")
    await emit(redis, "cleanup")

    assert await worker.step() == 2
    backup_run = await runs_db.get(db, "backup", SLOT)
    cleanup_run = await runs_db.get(db, "cleanup", SLOT)
    assert backup_run is not None
    assert cleanup_run is not None
    assert (backup_run.status, cleanup_run.status) == ("succeeded", "succeeded")
    assert cleanup_run.result is not None
    assert "finished_jobs" in cleanup_run.result["removed"]
    rows = await backups_db.list_all(db)
    assert [(b.status, b.verified, b.run_id) for b in rows] == [("succeeded", True, backup_run.id)]
    assert deps.metrics.backup_verified._value.get() == 1
    assert deps.metrics.backup_size._value.get() == rows[0].size_bytes
    assert await pending(redis) == 0

    await redeliver(redis, "backup")
    assert await worker.step() == 0
    assert len(await backups_db.list_all(db)) == 1
    assert await pending(redis) == 0


async def test_own_pending_entries_are_resumed_on_restart(
    deps: Deps, db: asyncpg.Connection, redis: Redis
) -> None:
    await dies_mid_run(consumer(deps, "w1"), db, redis)

    restarted = consumer(deps, "w1")
    assert await restarted.start() == 1
    run = await runs_db.get(db, "cleanup", SLOT)
    assert run is not None
    assert run.status == "succeeded"
    assert run.attempts == 2
    assert await pending(redis) == 0


async def test_a_dead_consumers_entry_is_claimed_once_its_lease_lapses(
    deps: Deps, db: asyncpg.Connection, redis: Redis
) -> None:
    await dies_mid_run(consumer(deps, "dead"), db, redis)

    # Still heartbeating as far as a long lease is concerned: left alone, not acknowledged.
    patient = consumer(deps, "patient", claim_idle_ms=1, lease=dt.timedelta(hours=1))
    await asyncio.sleep(0.01)
    assert await patient.step() == 0
    assert await pending(redis) == 1

    survivor = consumer(deps, "survivor", claim_idle_ms=1, lease=dt.timedelta(milliseconds=1))
    await asyncio.sleep(0.01)
    assert await survivor.step() == 1
    run = await runs_db.get(db, "cleanup", SLOT)
    assert run is not None
    assert (run.status, run.consumer, run.attempts) == ("succeeded", "survivor", 2)
    assert await pending(redis) == 0


async def test_a_failing_run_is_retried_then_given_up(
    settings: Settings, db: asyncpg.Connection, redis: Redis, tmp_path: object
) -> None:
    broken = msgspec.structs.replace(settings, pg_bin_dir="/nonexistent")
    deps = await Deps.create(broken)
    try:
        worker = consumer(deps, "w1", claim_idle_ms=1, max_attempts=2)
        await worker.start()
        await emit(redis, "backup")
        assert await worker.step() == 1
        run = await runs_db.get(db, "backup", SLOT)
        assert run is not None
        assert (run.status, run.attempts) == ("failed", 1)
        assert run.error is not None
        assert "PG_BIN_DIR" in run.error
        assert await pending(redis) == 1  # kept for a retry

        await asyncio.sleep(0.01)
        assert await worker.step() == 1
        run = await runs_db.get(db, "backup", SLOT)
        assert run is not None
        assert (run.status, run.attempts) == ("failed", 2)
        assert await pending(redis) == 0  # given up: acknowledged, the run says why
        assert deps.metrics.maintenance_runs.labels("backup", "failed")._value.get() == 2
        assert [b.status for b in await backups_db.list_all(db)] == ["failed", "failed"]
    finally:
        await deps.close()


async def test_malformed_entries_are_dropped(deps: Deps, redis: Redis) -> None:
    worker = consumer(deps, "w1")
    await worker.start()
    await redis.xadd(keys.SCHEDULE_STREAM, {"event": b'{"task": "reboot"}'})
    assert await worker.step() == 0
    assert await pending(redis) == 0
