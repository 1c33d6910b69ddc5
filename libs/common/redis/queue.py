"""The queue interface: enqueue a job by name with a deterministic id, msgpack on the wire.

arq is in maintenance mode and pins redis-py, so nothing outside this module and the
worker's settings touches it; the api enqueues without importing worker code.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from arq.connections import ArqRedis
from redis.asyncio import Redis

from libs.common.redis import keys
from libs.common.schemas import JobKind


class JobPayload(msgspec.Struct, frozen=True, kw_only=True):
    """What travels in the queue: only ids and the trace context; the row holds the rest."""

    job_id: str
    organization_id: str
    trace: dict[str, str] = {}


def _enc_hook(obj: Any) -> Any:
    # arq stores a failed job's exception in its result; we keep results in PostgreSQL,
    # so a readable string is all Redis needs.
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    raise NotImplementedError(f"cannot serialize {type(obj).__name__}")


_encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.msgpack.Decoder()


def serialize(obj: dict[str, Any]) -> bytes:
    return _encoder.encode(obj)


def deserialize(data: bytes) -> dict[str, Any]:
    value = _decoder.decode(data)
    assert isinstance(value, dict)
    return value


def arq_view(redis: Redis) -> ArqRedis:
    """An ArqRedis sharing `redis`'s connection pool, with our serializer."""
    return ArqRedis(redis.connection_pool, job_serializer=serialize, job_deserializer=deserialize)


def arq_job_id(dedup_key: str) -> str:
    return dedup_key


async def enqueue(
    redis: Redis | ArqRedis,
    kind: JobKind,
    dedup_key: str,
    payload: JobPayload,
    *,
    defer_seconds: float | None = None,
) -> bool:
    """Put a job on its queue; False when a job with that id is already queued or running."""
    arq = redis if isinstance(redis, ArqRedis) else arq_view(redis)
    job = await arq.enqueue_job(
        kind,
        msgspec.to_builtins(payload),
        _job_id=arq_job_id(dedup_key),
        _queue_name=keys.queue(kind),
        _defer_by=defer_seconds,
    )
    return job is not None


async def is_live(redis: Redis, dedup_key: str) -> bool:
    """True when arq still holds the job (queued, deferred or in progress)."""
    job_id = arq_job_id(dedup_key)
    return bool(
        await redis.exists(keys.ARQ_JOB_PREFIX + job_id, keys.ARQ_IN_PROGRESS_PREFIX + job_id)
    )


_RUNNING_SCAN = 256  # front entries checked for a running job


async def depth(redis: Redis, kind: str) -> tuple[int, float | None]:
    """Jobs waiting in a queue, and how long (s) the oldest has been due; None when none.

    arq keeps a running job in the queue until it finishes; those are left out (they sit
    at the front, having been due first, and number at most the workers' concurrency).
    """
    key = keys.queue(kind)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcard(key)
        pipe.zrange(key, 0, _RUNNING_SCAN - 1, withscores=True)
        count, front = await pipe.execute()
    if not front:
        return int(count), None
    async with redis.pipeline(transaction=False) as pipe:
        for job_id, _ in front:
            pipe.exists(keys.ARQ_IN_PROGRESS_PREFIX + job_id.decode())
        running = await pipe.execute()
    waiting = [score for (_, score), busy in zip(front, running, strict=True) if not busy]
    count = int(count) - sum(1 for busy in running if busy)
    if not waiting:
        return count, None
    # arq scores a job by the time (ms) it becomes due
    return count, max(0.0, time.time() - float(waiting[0]) / 1000)
