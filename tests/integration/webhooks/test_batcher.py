"""The store script's batcher against a Redis that accepts connections but never answers."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from services.api.http.pipelining import ScriptBatcher


async def test_a_silent_redis_fails_each_call_within_the_bound() -> None:
    held: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    batcher = ScriptBatcher(Redis(port=port, socket_timeout=None), "return 1", timeout_s=0.3)
    try:
        for _ in range(2):  # the second call is not stuck behind the first connection
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await batcher(["k"], [b"v"])
            assert time.monotonic() - started < 3
    finally:
        await batcher.aclose()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
