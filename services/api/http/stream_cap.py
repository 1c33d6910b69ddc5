"""At most SSE_MAX_STREAMS_PER_CREDENTIAL open event streams per API token or session.

Each open stream holds a lease in a Redis sorted set per credential (member: the stream,
score: when its lease runs out), so the cap holds across every api replica. A stream
gives its lease back when it ends, however it ends: closed by the client, dropped without
a word (noticed within a few seconds, fanout.StreamHub's tick) or shut down; leases of
an api process that died run out by themselves, as each open stream renews its own every
SSE_KEEPALIVE_SECONDS.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

import structlog
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.redis import keys as redis_keys
from services.api.http import keys
from services.api.http.errors import AppError
from services.api.http.middlewares import credential_digest

log = structlog.get_logger(__name__)

# A lease outlives three missed renewals, so only a dead api process lets one run out.
RENEWALS_PER_LEASE = 3
RETRY_AFTER_S = 5


class TooManyStreams(AppError):
    status = 429
    slug = "too-many-event-streams"
    title = "Too many open event streams"


@dataclass(frozen=True, slots=True)
class Lease:
    redis: Redis
    key: str
    member: str
    ttl_s: float

    async def renew(self) -> None:
        """Push the lease's end out again (only while it is still held)."""
        try:
            await self.redis.zadd(self.key, {self.member: time.time() + self.ttl_s}, xx=True)
            await self.redis.expire(self.key, math.ceil(self.ttl_s))
        except (RedisError, OSError) as exc:
            log.warning("event stream lease not renewed", error=str(exc))

    async def release(self) -> None:
        try:
            await self.redis.zrem(self.key, self.member)
        except (RedisError, OSError) as exc:  # it runs out by itself
            log.warning("event stream lease not released", error=str(exc))


async def acquire(request: web.Request) -> Lease:
    """A lease for one more open stream of the request's credential, or TooManyStreams."""
    settings = request.app[keys.SETTINGS]
    cap = settings.sse_max_streams_per_credential
    ttl_s = RENEWALS_PER_LEASE * settings.sse_keepalive_seconds + RETRY_AFTER_S
    lease = Lease(
        request.app[keys.REDIS],
        redis_keys.event_stream_leases(credential_digest(request)),
        uuid.uuid4().hex,
        ttl_s,
    )
    now = time.time()
    # Add first, then count: two streams opened at once at the cap are both refused,
    # never both admitted.
    async with lease.redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(lease.key, "-inf", now)
        pipe.zadd(lease.key, {lease.member: now + ttl_s})
        pipe.zcard(lease.key)
        pipe.expire(lease.key, math.ceil(ttl_s))
        _, _, open_streams, _ = await pipe.execute()
    if open_streams > cap:
        await lease.release()
        error = TooManyStreams(
            f"At most {cap} event streams may be open at once with one API token or "
            f"session, and {open_streams - 1} are. Close one (one stream of "
            "/v1/events carries every job of the organization) and retry."
        )
        error.headers["Retry-After"] = str(RETRY_AFTER_S)
        raise error
    return lease
