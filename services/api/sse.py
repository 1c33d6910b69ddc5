"""Server-sent events from a Redis stream: entry id as event id, resumable, ends on terminal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from redis.exceptions import RedisError

from libs.common.redis import events, streams
from services.api import keys
from services.api.errors import BadRequest

log = structlog.get_logger(__name__)

KEEPALIVE_S = 15.0
BLOCK_MS = 5000

# Called when the stream is idle and gone: returns a closing event's JSON if the subject
# already finished (its stream expired), else None.
FinishedCheck = Callable[[], Awaitable[bytes | None]]


def resume_id(request: web.Request) -> str:
    given = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or "0-0"
    if not streams.valid_id(given):
        raise BadRequest("Last-Event-ID must be a stream id like 1700000000000-0.")
    return given


def frame(event_type: str, data: bytes, entry_id: str | None = None) -> bytes:
    head = f"id: {entry_id}\n" if entry_id else ""
    return f"{head}event: {event_type}\n".encode() + b"data: " + data + b"\n\n"


async def stream(
    request: web.Request,
    stream_key: str,
    *,
    finished: FinishedCheck | None = None,
    end_on_terminal: bool = True,
) -> web.StreamResponse:
    after = resume_id(request)
    redis = request.app[keys.REDIS]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    task = asyncio.current_task()
    assert task is not None
    request.app[keys.STREAMS].add(task)
    last_write = time.monotonic()
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            entries = await streams.read_after(redis, stream_key, after, block_ms=BLOCK_MS)
            for entry_id, fields in entries:
                event = events.decode(fields)
                await response.write(frame(event.type, fields[b"event"], entry_id))
                after = entry_id
                last_write = time.monotonic()
                if end_on_terminal and event.terminal:
                    return response
            if entries:
                continue
            if finished is not None and not await redis.exists(stream_key):
                closing = await finished()
                if closing is not None:
                    await response.write(frame("end", closing))
                    return response
            if time.monotonic() - last_write >= KEEPALIVE_S:
                await response.write(b": keep-alive\n\n")
                last_write = time.monotonic()
    except (ConnectionResetError, asyncio.CancelledError):
        return response
    except RedisError as exc:
        log.warning("event stream aborted", error=str(exc))
        await response.write(frame("error", b'{"detail":"event stream unavailable"}'))
        return response
    finally:
        request.app[keys.STREAMS].discard(task)


async def close_all(app: web.Application) -> None:
    """on_shutdown: end every open stream so the server stops promptly."""
    open_streams = app[keys.STREAMS]
    for task in tuple(open_streams):
        task.cancel()
