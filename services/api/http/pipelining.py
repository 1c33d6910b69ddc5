"""Group commit for one Lua script: concurrent calls share a Redis round trip.

Each call still runs as its own atomic EVALSHA, in arrival order, with its own result or
error; only the network round trip and the syscall are shared. While one batch is in
flight the next calls queue up, and they go together the moment it returns, so a lone
call waits no longer than it would alone.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import NoScriptError, ResponseError

Args = list[bytes | str | int]
MAX_BATCH = 128


class ScriptBatcher:
    """Runs one script for concurrent callers on `redis`, a client of its own (closed by
    `aclose`) without a socket timeout: each round trip is bounded by `timeout_s` instead,
    as redis-py's per-reply timeout cost more than the rest of reading a reply."""

    def __init__(self, redis: Redis, script: str, timeout_s: float) -> None:
        self._redis = redis
        self._script = script
        self._timeout_s = timeout_s
        self._sha = redis.register_script(script).sha
        self._queue: list[tuple[list[str], Args, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, keys: list[str], args: Args) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((keys, args, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    results = await self._run(batch)
                except BaseException as exc:  # the connection failed: every caller hears it
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._flusher = None

    async def _run(self, batch: list[tuple[list[str], Args, asyncio.Future[Any]]]) -> list[Any]:
        results = await self._pipeline([(keys, args) for keys, args, _ in batch])
        missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
        if missing:
            # Redis restarted or its script cache was flushed; a NOSCRIPT reply means that
            # call did nothing, so load the script and run exactly those again.
            async with asyncio.timeout(self._timeout_s):
                await self._redis.script_load(self._script)
            again = await self._pipeline([(batch[i][0], batch[i][1]) for i in missing])
            for i, result in zip(missing, again, strict=True):
                results[i] = result
        return results

    async def _pipeline(self, calls: list[tuple[list[str], Args]]) -> list[Any]:
        # One buffer, one send, then one reply per call in order: a Redis pipeline without
        # redis-py's per-command bookkeeping, which cost more CPU than the write itself.
        pieces: list[bytes] = []
        for keys, args in calls:
            _evalsha(pieces, self._sha, keys, args)
        packed = b"".join(pieces)
        pool = self._redis.connection_pool
        conn: Connection | None = None
        results: list[Any] = []
        try:
            # Connecting is inside the bound too: a Redis that accepts connections but
            # never answers would otherwise hold the handshake, and every caller, forever.
            async with asyncio.timeout(self._timeout_s):
                conn = await pool.get_connection()
                await conn.send_packed_command(packed)
                for _ in calls:
                    try:
                        results.append(await conn.read_response())
                    except ResponseError as exc:  # that call failed; the others stand
                        results.append(exc)
        except BaseException:
            # Dropped, not reused: it may be mid-reply, or mid-handshake (then it went back
            # to the pool already, so the pool's connections go).
            await (conn.disconnect() if conn is not None else pool.disconnect())
            raise
        finally:
            if conn is not None:
                await pool.release(conn)
        return results


def _evalsha(out: list[bytes], sha: str, keys: list[str], args: Args) -> None:
    """Append EVALSHA in the Redis protocol (RESP), an array of bulk strings, to `out`;
    a body is appended as it is, copied once when the batch is joined."""
    parts = [sha, len(keys), *keys, *args]
    out.append(b"*%d\r\n$7\r\nEVALSHA\r\n" % (len(parts) + 1))
    for part in parts:
        raw = part if isinstance(part, bytes) else str(part).encode()
        out += (b"$%d\r\n" % len(raw), raw, b"\r\n")
