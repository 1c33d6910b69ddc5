"""Redis stream helpers: XADD with MAXLEN and expiry, XREAD from an id."""

from __future__ import annotations

import re

from redis.asyncio import Redis

STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
Entry = tuple[str, dict[bytes, bytes]]


def valid_id(entry_id: str) -> bool:
    return bool(STREAM_ID.match(entry_id))


async def add(
    redis: Redis,
    stream: str,
    fields: dict[str, str | bytes],
    *,
    maxlen: int,
    ttl_seconds: int | None = None,
) -> str:
    """Append an entry (approximately trimmed to `maxlen`), refreshing the stream's expiry."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
        if ttl_seconds:
            pipe.expire(stream, ttl_seconds)
        result = await pipe.execute()
    entry_id = result[0]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


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
