"""Submitting work: a job row whose creator died before enqueueing it is enqueued by the
next submitter of the same key (a redelivered webhook), not only by the reconciler."""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from libs.common import jobs
from libs.common.config import Settings
from libs.common.db import jobs as jobs_db
from libs.common.db.pool import create_pool
from libs.common.redis import queue
from tests.conftest import Tenant


async def test_a_live_job_never_enqueued_is_enqueued_by_the_next_submit(
    settings: Settings, db: asyncpg.Connection, redis: Redis, tenant: Tenant
) -> None:
    key = jobs.dedup_key("analysis", tenant.organization_id, "c" * 40)
    # What a worker killed between the insert and the enqueue leaves behind.
    orphan, created = await jobs_db.insert_job(
        db, tenant.organization_id, kind="analysis", dedup_key=key, trigger="webhook"
    )
    assert created
    assert await queue.depth(redis, "analysis") == (0, None)

    pool = await create_pool(settings, min_size=0)
    try:
        again, created = await jobs.submit(
            pool, redis, tenant.organization_id, kind="analysis", key=key, trigger="webhook"
        )
        assert not created
        assert again.id == orphan.id
        assert (await queue.depth(redis, "analysis"))[0] == 1
        # Once enqueued, further submits leave the queue alone.
        third, _ = await jobs.submit(
            pool, redis, tenant.organization_id, kind="analysis", key=key, trigger="webhook"
        )
    finally:
        await pool.close()
    assert third.id == orphan.id
    assert third.enqueued_at is not None
    assert (await queue.depth(redis, "analysis"))[0] == 1
