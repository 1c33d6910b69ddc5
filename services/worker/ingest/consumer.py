"""The `ingest` consumer group on the `webhooks` stream: at-least-once, nothing lost.

On start a consumer re-reads its own pending entries (XREADGROUP ... 0), then reads new
ones; every so often it takes over entries another consumer left idle (XAUTOCLAIM),
including its own that failed. An entry is acknowledged and deleted only after its
delivery was recorded; one delivered `ingest_max_deliveries` times without success goes
to the dead-letter stream instead, so a poison delivery cannot block the others.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field

import msgspec
import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from redis.exceptions import RedisError, ResponseError

from libs.common import jobs, outages
from libs.common.db import Conn
from libs.common.db import jobs as jobs_db
from libs.common.db import webhook_deliveries as deliveries_db
from libs.common.redis import keys, webhook_stream
from libs.common.redis.webhook_stream import Delivery
from libs.common.telemetry import context_from
from services.worker.deps import Deps
from services.worker.ingest.handlers import Result, handle

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.worker.ingest")

DEAD_LETTER_MAXLEN = 10_000
StreamEntry = tuple[str, dict[bytes, bytes]]


@dataclass
class IngestConsumer:
    deps: Deps
    name: str = field(default_factory=socket.gethostname)
    block_ms: int = 1000
    batch: int = 32
    claim_every_s: float = 5.0
    _last_claim: float = 0.0

    @property
    def max_deliveries(self) -> int:
        return self.deps.settings.ingest_max_deliveries

    @property
    def claim_idle_ms(self) -> int:
        return self.deps.settings.ingest_claim_idle_seconds * 1000

    async def ensure_group(self) -> None:
        try:
            await self.deps.redis.xgroup_create(
                keys.WEBHOOKS_STREAM, keys.WEBHOOKS_GROUP, id="0", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; Redis outages are waited out, not fatal."""
        log.info("webhook ingest consumer started", consumer=self.name)
        recovered = False
        while not stop.is_set():
            try:
                if not recovered:
                    await self.ensure_group()
                    await self.recover_own()
                    recovered = True
                await self.step()
            except (RedisError, OSError) as exc:
                recovered = False
                log.warning("webhook ingest: redis unavailable", error=str(exc))
                await _sleep_or_stop(stop, 2.0)

    async def recover_own(self) -> int:
        """Process the entries this consumer name read but never acknowledged."""
        done, after = 0, "0"
        while True:
            # Paging forward: re-reading from 0 would count each failure as a delivery.
            entries = await self._read(after)
            if not entries:
                return done
            done += await self._handle_all(entries, recovered=True)
            after = entries[-1][0]

    async def step(self) -> int:
        """One round: claim idle entries when due, then read new ones (blocking briefly)."""
        count = 0
        if time.monotonic() - self._last_claim >= self.claim_every_s:
            self._last_claim = time.monotonic()
            count += await self.claim()
        count += await self._handle_all(await self._read(">", block=True))
        return count

    async def _handle_all(self, entries: list[StreamEntry], *, recovered: bool = False) -> int:
        # Deliveries are independent (their jobs deduplicate by key), so a batch is handled
        # at once: the database round trips overlap, which is what drains a backlog fast.
        await asyncio.gather(*(self.handle(i, f, recovered=recovered) for i, f in entries))
        return len(entries)

    async def claim(self) -> int:
        reply = await self.deps.redis.xautoclaim(
            keys.WEBHOOKS_STREAM,
            keys.WEBHOOKS_GROUP,
            self.name,
            min_idle_time=self.claim_idle_ms,
            start_id="0-0",
            count=self.batch,
        )
        claimed: list[StreamEntry] = [(i.decode(), f or {}) for i, f in reply[1] if i]
        gone = list(reply[2]) if len(reply) > 2 else []
        if gone:
            # Deleted from the stream while pending (trimmed by hand): nothing to process.
            await self.deps.redis.xack(keys.WEBHOOKS_STREAM, keys.WEBHOOKS_GROUP, *gone)
        return await self._handle_all(claimed, recovered=True)

    async def _read(self, after: str, *, block: bool = False) -> list[StreamEntry]:
        reply = await self.deps.redis.xreadgroup(
            keys.WEBHOOKS_GROUP,
            self.name,
            {keys.WEBHOOKS_STREAM: after},
            count=self.batch,
            block=self.block_ms if block else None,
        )
        if not reply:
            return []
        return [(i.decode(), f or {}) for i, f in reply[0][1] if i]

    async def times_delivered(self, entry_id: str) -> int:
        pending = await self.deps.redis.xpending_range(
            keys.WEBHOOKS_STREAM, keys.WEBHOOKS_GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 1

    async def handle(
        self, entry_id: str, fields: dict[bytes, bytes], *, recovered: bool = False
    ) -> bool:
        """Process one entry; True when it left the stream (done or dead-lettered)."""
        if not fields:
            await self._remove(entry_id)  # deleted from the stream while pending
            return True
        try:
            entry = webhook_stream.from_fields(fields)
        except (KeyError, ValueError, msgspec.MsgspecError) as exc:
            # Recorded and forgotten when its metadata can still be read, so GitHub's
            # redelivery of it is taken rather than dropped as a duplicate.
            reason = f"unreadable stream entry: {exc}"
            await self.dead_letter(entry_id, fields, reason, webhook_stream.meta_of(fields))
            return True
        if recovered and await self.times_delivered(entry_id) > self.max_deliveries:
            await self.dead_letter(
                entry_id, fields, f"not processed after {self.max_deliveries} deliveries", entry
            )
            return True
        label = webhook_stream.metric_label(entry.event)
        try:
            # An outage of PostgreSQL or Redis is waited out here, with the entry in hand:
            # it is no fault of the delivery's and spends none of its deliveries.
            result = await outages.outlasting(lambda: self.process(entry))
        except Exception:  # left pending: claimed again after the idle time
            log.exception("webhook delivery failed; will retry", delivery=entry.delivery)
            self.deps.metrics.webhook_ingested.labels(label, "error").inc()
            return False
        await outages.outlasting(lambda: self._remove(entry_id))
        self.deps.metrics.webhook_ingested.labels(label, result.status).inc()
        return True

    async def process(self, entry: Delivery) -> Result:
        token = otel_context.attach(context_from(entry.trace))
        try:
            with (
                tracer.start_as_current_span(
                    f"webhook {webhook_stream.metric_label(entry.event)}",
                    kind=trace.SpanKind.CONSUMER,
                    attributes={"github.event": entry.event, "github.delivery": entry.delivery},
                ),
                structlog.contextvars.bound_contextvars(delivery=entry.delivery, event=entry.event),
            ):
                return await self._record(entry)
        finally:
            otel_context.detach(token)

    async def _record(self, entry: Delivery) -> Result:
        """One connection, one transaction for everything the delivery writes; its jobs
        are enqueued after the commit (a lost enqueue is re-sent by the reconciler)."""
        async with self.deps.pool.acquire() as conn, conn.transaction():
            seen = await deliveries_db.begin_delivery(
                conn, entry.hook_id, entry.delivery, entry.event, entry.action
            )
            if seen.status in deliveries_db.DONE:
                # Handled before (a redelivery after the api forgot it, or this entry again
                # after a kill between the commit and the enqueue): the rows stand; only
                # an enqueue that never happened is left to do.
                late = await jobs_db.never_enqueued(conn, seen.job_ids)
                result = Result(seen.status, jobs=late, created=[job.id for job in late])
            else:
                result = await self._handle(conn, entry)
        await jobs.enqueue_rows(
            self.deps.pool, self.deps.redis, result.jobs, created=result.created
        )
        log.info("webhook delivery recorded", status=result.status, jobs=len(result.job_ids))
        return result

    async def _handle(self, conn: Conn, entry: Delivery) -> Result:
        result = await handle(self.deps, conn, entry)
        only = result.repositories[0] if len(result.repositories) == 1 else None
        await deliveries_db.finish_delivery(
            conn,
            entry.hook_id,
            entry.delivery,
            result.status,
            organization_id=only.organization_id if only else entry.organization_id,
            repository_id=only.id if only else entry.repository_id,
            error=result.error,
            job_ids=result.job_ids,
        )
        return result

    async def _remove(self, entry_id: str) -> None:
        # Acknowledged entries are deleted, so the stream holds only unfinished work and
        # never needs MAXLEN trimming (which could drop pending entries).
        async with self.deps.redis.pipeline(transaction=True) as pipe:
            pipe.xack(keys.WEBHOOKS_STREAM, keys.WEBHOOKS_GROUP, entry_id)
            pipe.xdel(keys.WEBHOOKS_STREAM, entry_id)
            await pipe.execute()

    async def dead_letter(
        self, entry_id: str, fields: dict[bytes, bytes], reason: str, entry: Delivery | None = None
    ) -> None:
        log.error("webhook delivery dead-lettered", entry_id=entry_id, reason=reason)
        dead = dict(fields) | {b"reason": reason.encode(), b"source_id": entry_id.encode()}
        async with self.deps.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(keys.WEBHOOKS_DEAD_LETTER, dead, maxlen=DEAD_LETTER_MAXLEN)  # type: ignore[arg-type]
            pipe.xack(keys.WEBHOOKS_STREAM, keys.WEBHOOKS_GROUP, entry_id)
            pipe.xdel(keys.WEBHOOKS_STREAM, entry_id)
            if entry is not None:
                # Forget the delivery id, so a manual redelivery from GitHub is accepted.
                pipe.delete(webhook_stream.dedup_key(entry))
            await pipe.execute()
        event = webhook_stream.metric_label(entry.event) if entry else "other"
        self.deps.metrics.webhook_ingested.labels(event, "dead").inc()
        if entry is None:
            return
        try:
            async with self.deps.pool.acquire() as conn, conn.transaction():
                await deliveries_db.begin_delivery(
                    conn, entry.hook_id, entry.delivery, entry.event, entry.action
                )
                await deliveries_db.finish_delivery(
                    conn, entry.hook_id, entry.delivery, "dead", error=reason
                )
        except Exception as exc:  # the dead-letter stream already holds it
            log.warning("could not record a dead-lettered delivery", error=str(exc))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
