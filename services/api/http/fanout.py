"""One Redis reader per event stream per api process, fanning entries out in memory.

A thousand browsers following one organization's stream cost one blocking XREAD, one
decode and one encoded SSE frame per event here, not a thousand of each: each open
stream only copies the shared frame to its socket. A stream that resumes from an older
id catches up with its own non-blocking reads first; it subscribes before it catches up,
and skips what it has already sent, so nothing falls between the two.

A stream that has caught up is written to straight from the reader's loop: the frame,
chunk-encoded once, goes to each socket with one `transport.write`, with no task to wake
and no await per client (bench.sse_fanout, 1,000 streams: api CPU per delivered event
28 -> 10.5 us, p99 556 -> 230 ms on a loaded machine; docs/dashboard.md). A stream still
catching up gets its deliveries queued instead.

A subscriber that cannot keep up (its queue is full, or its socket's unsent buffer is
past HIGH_WATER) is ended; its client reconnects with Last-Event-ID and catches up from
Redis. Nothing here is state another replica
needs: every replica runs its own readers on the same streams.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.redis import events, streams

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000
READ_COUNT = 500
# Unsent bytes a caught-up stream may hold in its socket's buffer before it counts as
# too slow (hundreds of events' worth).
HIGH_WATER = 256 * 1024


@dataclass(frozen=True, slots=True)
class Delivery:
    entry_id: str
    type: str
    frame: bytes  # the whole SSE frame, encoded once for every subscriber
    terminal: bool
    order: tuple[int, int] = (0, 0)  # the id as numbers, compared without parsing
    chunk: bytes = b""  # the frame in HTTP/1.1 chunked framing, for direct writes


# Pushed to every subscriber every tick: its moment to send a keep-alive or re-check
# credentials, without a timer per stream per wait.
TICK = Delivery("0-0", "tick", b"", False)


def frame(event_type: str, data: bytes, entry_id: str | None = None) -> bytes:
    head = f"id: {entry_id}\n" if entry_id else ""
    return f"{head}event: {event_type}\n".encode() + b"data: " + data + b"\n\n"


def order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq)


def delivery(entry: streams.Entry) -> Delivery:
    entry_id, fields = entry
    event = events.decode(fields)
    data = frame(event.type, fields[b"event"], entry_id)
    return Delivery(entry_id, event.type, data, event.terminal, order(entry_id), chunked(data))


def chunked(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


# Writes one delivery to a caught-up stream's socket at once; False when the stream must
# end (it was its terminal event, its client is gone or too slow).
DirectWrite = Callable[[Delivery], bool]


class Subscription:
    """What one open stream receives from its key's reader."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.queue: asyncio.Queue[Delivery | None] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False
        self.failed: BaseException | None = None
        self.direct: DirectWrite | None = None
        self.stopped = False  # its direct write said the stream ends

    def deliver(self, item: Delivery) -> None:
        """One entry of the key: written now if the stream is caught up, else queued."""
        if self.direct is None:
            self.push(item)
            return
        try:
            keep = self.direct(item)
        except Exception:  # one client's socket must never stop the others' deliveries
            log.exception("event stream write failed", key=self.key)
            keep = False
        if not keep:
            self.direct = None
            self.stopped = True
            self.push(TICK)  # wake the stream to end it

    def push(self, item: Delivery | None) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True

    def end(self, error: BaseException | None = None) -> None:
        """No more deliveries: the reader failed, or the api is closing."""
        self.failed = error
        # Make room for the wake-up: a subscriber that is ending needs no backlog.
        while self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


@dataclass
class _Reader:
    key: str
    started: asyncio.Future[None]
    subscribers: set[Subscription] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class StreamHub:
    def __init__(self, redis: Redis, block_ms: int = 5000, tick_s: float = 5.0) -> None:
        self.redis = redis
        self.block_ms = block_ms
        self.tick_s = tick_s
        self._readers: dict[str, _Reader] = {}
        self._ticker: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def readers(self) -> int:
        return len(self._readers)

    async def subscribe(self, key: str) -> Subscription:
        """A subscription to every entry added to `key` from now on (none once the hub
        is closed: the subscription is ended)."""
        if self.closed:
            sub = Subscription(key)
            sub.end()
            return sub
        reader = self._readers.get(key)
        if reader is None:
            reader = _Reader(key, asyncio.get_running_loop().create_future())
            self._readers[key] = reader
            # A fresh context: the reader serves every request, it logs as none of them.
            reader.task = asyncio.create_task(
                self._run(reader), name=f"fanout {key}", context=contextvars.Context()
            )
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(
                self._tick(), name="fanout ticker", context=contextvars.Context()
            )
        sub = Subscription(key)
        reader.subscribers.add(sub)
        try:
            # Resolved once the reader knows where it starts: from then on no entry of
            # `key` escapes this subscription.
            await asyncio.shield(reader.started)
        except BaseException:
            self.unsubscribe(sub)
            raise
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        reader = self._readers.get(sub.key)
        if reader is None:
            return
        reader.subscribers.discard(sub)
        if not reader.subscribers:
            del self._readers[sub.key]
            if reader.task is not None:
                reader.task.cancel()

    async def _tick(self) -> None:
        while self._readers:
            await asyncio.sleep(self.tick_s)
            for reader in list(self._readers.values()):
                for sub in reader.subscribers:
                    if sub.queue.empty():  # a busy stream is awake anyway
                        sub.push(TICK)

    async def _run(self, reader: _Reader) -> None:
        try:
            newest = await self.redis.xrevrange(reader.key, count=1)
            after = _text(newest[0][0]) if newest else "0-0"
            reader.started.set_result(None)
            while True:
                entries = await streams.read_after(
                    self.redis, reader.key, after, block_ms=self.block_ms, count=READ_COUNT
                )
                for entry in entries:
                    item = delivery(entry)
                    for sub in reader.subscribers:  # deliver() never awaits
                        sub.deliver(item)
                    after = item.entry_id
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as exc:
            if not self.closed:
                log.warning("event stream reader failed", key=reader.key, error=str(exc))
            if not reader.started.done():
                reader.started.set_exception(exc)
            if self._readers.get(reader.key) is reader:
                del self._readers[reader.key]
            for sub in list(reader.subscribers):
                sub.end(exc)

    async def close(self) -> None:
        """End every subscription and stop every reader (the api is shutting down); the
        readers' blocking reads end with their connections when Redis is closed."""
        self.closed = True
        readers, self._readers = list(self._readers.values()), {}
        if self._ticker is not None:
            self._ticker.cancel()
        for reader in readers:
            for sub in reader.subscribers:
                sub.end()
            if reader.task is not None:
                reader.task.cancel()
            if not reader.started.done():
                # A subscribe() still waiting for the reader's first read returns its
                # (now ended) subscription rather than wait for ever.
                reader.started.set_result(None)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
