"""A Redis leader lock with a TTL: one scheduler replica acts, the others wait their turn.

redis-py's `Lock` does the work: SET NX PX to take it, a compare-and-set script to renew
it only while the value is still our identity, and one to release it likewise.
"""

from __future__ import annotations

import contextlib
import uuid

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockNotOwnedError


class LeaderLock:
    def __init__(self, redis: Redis, key: str, ttl_ms: int, identity: str | None = None) -> None:
        self.key = key
        self.identity = identity or uuid.uuid4().hex
        self._lock = Lock(redis, key, timeout=ttl_ms / 1000, blocking=False, thread_local=False)
        self._held = False

    async def hold(self) -> bool:
        """Take the lock if free, renew it if ours; True while we are the leader."""
        if self._held:
            try:
                return await self._lock.reacquire()
            except LockNotOwnedError:  # it expired; someone else may hold it now
                self._held = False
        self._held = await self._lock.acquire(token=self.identity)
        return self._held

    async def release(self) -> None:
        if self._held:
            self._held = False
            with contextlib.suppress(LockNotOwnedError):  # expired meanwhile
                await self._lock.release()
