"""A Redis leader lock with a TTL: one scheduler replica acts, the others wait their turn."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

# Renew or take over only when we hold the lock (or nobody does); a check-and-set in Lua.
_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaderLock:
    def __init__(self, redis: Redis, key: str, ttl_ms: int, identity: str | None = None) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = ttl_ms
        self.identity = identity or uuid.uuid4().hex

    async def hold(self) -> bool:
        """Take the lock if free, renew it if ours; True while we are the leader."""
        result = await self.redis.eval(_RENEW, 1, self.key, self.identity, str(self.ttl_ms))  # type: ignore[misc]
        return bool(result)

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.identity)  # type: ignore[misc]
