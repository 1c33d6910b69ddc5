"""Queue depth counts jobs waiting, not the ones a worker is running."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from libs.common.redis import keys, queue


async def test_running_jobs_are_not_waiting(redis: Redis) -> None:
    now_ms = time.time() * 1000
    # arq keeps a running job in its queue, scored by when it was due, until it finishes.
    await redis.zadd(
        keys.queue("analysis"),
        {"analysis:running": now_ms - 60_000, "analysis:a": now_ms - 5_000, "analysis:b": now_ms},
    )
    await redis.set(keys.ARQ_IN_PROGRESS_PREFIX + "analysis:running", b"1")

    count, oldest = await queue.depth(redis, "analysis")

    assert count == 2
    assert oldest is not None
    assert 4.0 <= oldest < 30.0  # the oldest waiting job, not the running one (60 s)


async def test_a_queue_with_only_running_jobs_has_none_waiting(redis: Redis) -> None:
    await redis.zadd(keys.queue("sync"), {"sync:x": time.time() * 1000 - 10_000})
    await redis.set(keys.ARQ_IN_PROGRESS_PREFIX + "sync:x", b"1")
    assert await queue.depth(redis, "sync") == (0, None)
