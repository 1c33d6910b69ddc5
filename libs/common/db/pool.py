"""The asyncpg pool, with jsonb decoded and encoded by msgspec."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec

from libs.common.config import Settings

Pool = asyncpg.Pool
Connection = asyncpg.Connection
Record = asyncpg.Record

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def _encode_json(value: Any) -> str:
    return _encoder.encode(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_encode_json, decoder=_decoder.decode, schema="pg_catalog"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: asyncpg still rolls back an open transaction; the
    default also sends `RESET ALL; UNLISTEN *; ...`, a round trip on every release, for
    session state this code never leaves (no SET, LISTEN or session advisory lock on a
    pooled connection). Handling one webhook delivery released ten connections."""


async def create_pool(settings: Settings, **kwargs: Any) -> asyncpg.Pool:
    options: dict[str, Any] = {
        "min_size": min(settings.db_pool_min_size, settings.db_pool_max_size),
        "max_size": settings.db_pool_max_size,
        "command_timeout": 30,
        "timeout": 5,  # connecting: fail fast so /ready and the error middleware can say so
        "reset": _keep_session,
    }
    options.update(kwargs)
    pool = await asyncpg.create_pool(settings.database_url, init=_init_connection, **options)
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the same codecs as the pool, for CLI commands and scripts."""
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


@contextlib.asynccontextmanager
async def connection(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """`connect`, closed when the block ends however it ends."""
    conn = await connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()
