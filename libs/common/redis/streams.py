"""Redis stream helpers: XADD with MAXLEN and expiry, XREAD from an id."""

from __future__ import annotations

import re
from collections.abc import Mapping

from redis.asyncio import Redis

# ASCII digits only: \d would also take other scripts' digits, which Redis refuses.
STREAM_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
Entry = tuple[str, dict[bytes, bytes]]
_MAX_PART = 2**64 - 1


def valid_id(entry_id: str) -> bool:
    """A stream entry id Redis accepts: two unsigned 64-bit numbers."""
    found = STREAM_ID.fullmatch(entry_id)
    return found is not None and all(int(part) <= _MAX_PART for part in found.groups())


async def add(
    redis: Redis,
    fields: dict[str, str | bytes],
    maxlens: Mapping[str, int],
    *,
    ttl_seconds: int | None = None,
) -> list[str]:
    """Append one entry to each stream of `maxlens` (approximately trimmed to its length),
    refreshing their expiry, in one transaction; the entry ids in the same order."""
    async with redis.pipeline(transaction=True) as pipe:
        for stream, maxlen in maxlens.items():
            pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
            if ttl_seconds:
                pipe.expire(stream, ttl_seconds)
        result = await pipe.execute()
    ids = result[:: 2 if ttl_seconds else 1]  # the XADD replies, without EXPIRE's
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


async def read_after(
    redis: Redis, stream: str, after_id: str, *, block_ms: int | None = None, count: int = 100
) -> list[Entry]:
    """Entries strictly after `after_id` (`0-0` for all), waiting up to `block_ms` for one."""
    reply = await redis.xread({stream: after_id}, count=count, block=block_ms)
    if not reply:
        return []
    _, entries = reply[0]
    return [(entry_id.decode(), fields) for entry_id, fields in entries]


def id_before(a: str, b: str) -> bool:
    """True when stream id `a` sorts before `b`."""
    ams, aseq = (int(x) for x in a.split("-"))
    bms, bseq = (int(x) for x in b.split("-"))
    return (ams, aseq) < (bms, bseq)
