"""Server-sent events from a Redis stream: entry id as event id, resumable, gap-aware.

A client that reconnects with Last-Event-ID gets exactly the entries after it. When
entries after that id were already trimmed (MAXLEN) or the stream expired, it gets a
`resync` event first: refetch state over REST, then keep reading. When the api stops,
every open stream ends cleanly, so clients reconnect to another replica.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable

import msgspec
import structlog
from aiohttp import HttpVersion11, web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.redis import events, streams
from services.api.http import fanout, keys, stream_cap
from services.api.http.errors import BadRequest
from services.api.http.fanout import frame
from services.api.http.middlewares import still_authorized

log = structlog.get_logger(__name__)

BLOCK_MS = 5000
RETRY_MS = 2000
DESCRIPTION = (
    "A `text/event-stream`. Each event's `id` is its Redis stream entry id; reconnect with "
    "`Last-Event-ID` (or `?last_event_id=`) to continue after it with no gap and no "
    "duplicate. Event types are the job event types (started, progress, retrying, "
    "succeeded, failed, cancelled; a job waiting in its queue has none yet), `resync` when events "
    "after your id were already discarded or your id is not one of this stream's "
    "(refetch state, then keep reading), and `end` when a finished job's stream has "
    "expired. Comment lines (`: keep-alive`) arrive when the stream is idle. Resuming "
    "after a job's terminal event answers 204 (an EventSource stops reconnecting); an "
    "id past it is one the stream never had, so it gets `resync` and the whole stream. A "
    "stream whose token or session stops working, or whose member is removed, ends."
)
RESUME_HEADERS = {"Last-Event-ID": "Resume after this event id (as last received)."}

# Called when the stream is idle and gone: returns a closing event's JSON if the subject
# already finished (its stream expired), else None.
FinishedCheck = Callable[[], Awaitable[bytes | None]]


class ResumeQuery(msgspec.Struct, kw_only=True):
    last_event_id: str | None = None


class Resync(msgspec.Struct, kw_only=True):
    reason: str
    last_event_id: str
    oldest_event_id: str | None


def resume_id(request: web.Request) -> str:
    given = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or "0-0"
    if not streams.valid_id(given):
        raise BadRequest("Last-Event-ID must be a stream id like 1700000000000-0.")
    return given


async def gap_after(redis: Redis, stream_key: str, after: str) -> Resync | None:
    """A resync notice when entries after `after` are no longer in the stream."""
    if after == "0-0":
        return None
    try:
        info = await redis.xinfo_stream(stream_key)
    except RedisError as exc:
        if "no such key" not in str(exc).lower():
            raise
        return Resync(reason="stream expired", last_event_id=after, oldest_event_id=None)
    first = info.get("first-entry")
    oldest = first[0].decode() if first else None
    newest = _text(info.get("last-generated-id") or b"0-0")
    if streams.id_before(newest, after):
        # No such event was ever written here: start over rather than wait for it.
        return Resync(reason="unknown event id", last_event_id=after, oldest_event_id=oldest)
    deleted_id = _text(info.get("max-deleted-entry-id") or b"0-0")
    # `after` is no longer retained (trimmed or expired with its stream), so entries right
    # after it may be gone too; or entries after it were deleted outright.
    if oldest is not None and streams.id_before(after, oldest):
        return Resync(reason="events trimmed", last_event_id=after, oldest_event_id=oldest)
    if streams.valid_id(deleted_id) and streams.id_before(after, deleted_id):
        return Resync(reason="events deleted", last_event_id=after, oldest_event_id=oldest)
    return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _seen_the_end(redis: Redis, stream_key: str, after: str) -> bool:
    """True when `after` is the stream's last event and that event is terminal. An id
    past it was never this stream's: that client gets `resync`, as on any stream."""
    if after == "0-0":
        return False
    last = await redis.xrevrange(stream_key, count=1)
    if not last:
        return False
    entry_id, fields = last[0]
    last_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    return events.decode(fields).terminal and after == last_id


async def stream(
    request: web.Request,
    stream_key: str,
    *,
    kind: str,
    finished: FinishedCheck | None = None,
    end_on_terminal: bool = True,
) -> web.StreamResponse:
    """Follow `stream_key`; a malformed Last-Event-ID is a 400 before the stream opens."""
    after = resume_id(request)
    app = request.app
    if end_on_terminal and await _seen_the_end(app[keys.REDIS], stream_key, after):
        # An EventSource reconnects after every close, so a finished stream answers 204,
        # the one status that makes it stop.
        return web.Response(status=204)
    gap = await gap_after(app[keys.REDIS], stream_key, after)
    if gap is not None and finished is not None and gap.oldest_event_id is None:
        gap = None  # a finished job's expired stream: the `end` event says all there is
    lease = await stream_cap.acquire(request)
    try:
        return await _serve(request, stream_key, kind, after, gap, lease, finished, end_on_terminal)
    finally:
        await lease.release()


async def _serve(
    request: web.Request,
    stream_key: str,
    kind: str,
    after: str,
    gap: Resync | None,
    lease: stream_cap.Lease,
    finished: FinishedCheck | None,
    end_on_terminal: bool,
) -> web.StreamResponse:
    app = request.app
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    gauge = app[keys.METRICS].sse_connections.labels(kind)
    gauge.inc()

    async def still_open() -> bool:
        await lease.renew()
        return await still_authorized(request)

    try:
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        if gap is not None:
            await response.write(frame("resync", msgspec.json.encode(gap)))
            after = "0-0"  # everything still retained follows
        pump = _Pump(request, response, stream_key, finished, end_on_terminal, still_open)
        if not await pump.run(after):
            await response.write(b": server shutting down; reconnect with Last-Event-ID\n\n")
    except (ConnectionResetError, ConnectionError):
        pass  # the client went away
    except RedisError as exc:
        log.warning("event stream aborted", error=str(exc))
        with contextlib.suppress(ConnectionError):
            await response.write(frame("error", b'{"detail":"event stream unavailable"}'))
    finally:
        gauge.dec()
    return response


class _Pump:
    """Copies one stream key's entries to one client: first those after its resume id
    (its own reads), then what the key's shared reader delivers (fanout.StreamHub)."""

    def __init__(
        self,
        request: web.Request,
        response: web.StreamResponse,
        stream_key: str,
        finished: FinishedCheck | None,
        end_on_terminal: bool,
        allowed: Callable[[], Awaitable[bool]],
    ) -> None:
        app = request.app
        self.redis, self.closing, self.hub = app[keys.REDIS], app[keys.CLOSING], app[keys.HUB]
        self.request = request
        # aiohttp frames a body of unknown length in chunks unless the client spoke HTTP/1.0.
        self.chunked = request.version >= HttpVersion11
        self.keepalive_s = app[keys.SETTINGS].sse_keepalive_seconds
        self.response, self.stream_key = response, stream_key
        self.finished, self.end_on_terminal = finished, end_on_terminal
        # Checked every keep-alive interval (which renews the stream's lease, stream_cap):
        # revoked credentials or a removed member end the stream, and the client's
        # reconnection is then refused.
        self.allowed = allowed
        self.sent = (0, 0)
        self.last_write = self.last_check = 0.0

    async def run(self, after: str) -> bool:
        """Copy entries to the client; True when the stream ended, False on shutdown."""
        if self.closing.is_set():
            return False
        self.sent = fanout.order(after)
        sub = await self.hub.subscribe(self.stream_key)
        try:
            if await self._catch_up():
                return True
            return await self._follow(sub)
        finally:
            self.hub.unsubscribe(sub)

    async def _catch_up(self) -> bool:
        """What was added after the resume id before the subscription: True if it ended."""
        while True:
            after = "{}-{}".format(*self.sent)
            entries = await streams.read_after(
                self.redis, self.stream_key, after, count=fanout.READ_COUNT
            )
            for entry in entries:
                if await self._send(fanout.delivery(entry)):
                    return True
            if len(entries) < fanout.READ_COUNT:
                return False

    async def _send(self, item: fanout.Delivery) -> bool:
        """Write one event (unless already sent); True when it ends the stream."""
        if item.order <= self.sent:
            return False
        await self.response.write(item.frame)
        self.sent, self.last_write = item.order, time.monotonic()
        return self.end_on_terminal and item.terminal

    def _write_now(self, item: fanout.Delivery) -> bool:
        """The caught-up path, called from the key's reader: the pre-encoded frame straight
        to the socket. False ends the stream: it was the terminal event, or the client is
        gone or too slow (it resumes from its last event id)."""
        if item.order <= self.sent:
            return True
        transport = self.request.transport
        if (
            transport is None
            or transport.is_closing()
            or transport.get_write_buffer_size() > fanout.HIGH_WATER
        ):
            return False
        transport.write(item.chunk if self.chunked else item.frame)
        self.sent, self.last_write = item.order, time.monotonic()
        return not (self.end_on_terminal and item.terminal)

    async def _follow(self, sub: fanout.Subscription) -> bool:
        self.last_write = self.last_check = time.monotonic()
        while True:
            if sub.queue.empty() and not sub.overflowed:
                sub.direct = self._write_now  # caught up: the reader writes from now on
            item = await sub.queue.get()
            if item is None:  # the reader stopped: shutdown, or Redis failed
                if sub.failed is not None:
                    raise sub.failed
                return False
            if sub.overflowed or sub.stopped:
                return True  # ended, or too slow: the client resumes from its last event id
            if item is fanout.TICK:
                if await self._on_tick():
                    return True
            elif await self._send(item):
                return True

    async def _on_tick(self) -> bool:
        """Every few seconds: notice a client gone without a word, re-check credentials,
        keep an idle connection alive. True when the stream ends."""
        if self.request.transport is None:
            return True
        now = time.monotonic()
        if now - self.last_check >= self.keepalive_s:
            if not await self.allowed():
                await self.response.write(b": credentials no longer valid\n\n")
                return True
            self.last_check = now
        if now - self.last_write >= self.keepalive_s:
            if await self._ended():
                return True
            await self.response.write(b": keep-alive\n\n")
            self.last_write = now
        return False

    async def _ended(self) -> bool:
        if self.finished is None or await self.redis.exists(self.stream_key):
            return False
        closing_event = await self.finished()
        if closing_event is None:
            return False
        await self.response.write(frame("end", closing_event))
        return True


async def close_all(app: web.Application) -> None:
    """on_shutdown: end every open stream so the server stops promptly and cleanly."""
    app[keys.CLOSING].set()
    await app[keys.HUB].close()
