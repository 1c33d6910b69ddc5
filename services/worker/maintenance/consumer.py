"""Consume the `schedule` stream in the `maintenance` group, at least once, idempotently.

On start the consumer re-reads its own pending entries (XREADGROUP 0), then loops:
XAUTOCLAIM entries another consumer left pending too long (it died), then XREADGROUP
new ones. Each entry is claimed in `maintenance_runs` by (task, slot) before it runs, so
a second delivery of a finished slot is acknowledged without running again, and a slot
whose worker still heartbeats is left to it. An entry is acknowledged once its run
succeeded, or failed for the last allowed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from libs.common.db import maintenance as runs_db
from libs.common.db.maintenance import Run
from libs.common.redis import keys
from libs.common.telemetry import context_from
from libs.ops import schedule
from libs.ops.schedule import ScheduleEvent, Task
from services.worker.deps import Deps
from services.worker.maintenance import tasks

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.worker")

TaskFn = Callable[[Deps, Run], Awaitable[dict[str, Any]]]
TASKS: dict[Task, TaskFn] = {"backup": tasks.backup, "cleanup": tasks.cleanup}
Entry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass
class MaintenanceConsumer:
    deps: Deps
    name: str
    block_ms: int = 5_000
    # An entry idle this long belongs to a consumer presumed dead (or is a failed run
    # waiting for its retry); a live run heartbeats far more often than its lease.
    claim_idle_ms: int = 300_000
    lease: dt.timedelta = dt.timedelta(minutes=2)
    heartbeat_s: float = 30.0
    max_attempts: int = 3

    @property
    def redis(self) -> Redis:
        return self.deps.redis

    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self.redis.xgroup_create(
                keys.SCHEDULE_STREAM, keys.SCHEDULE_GROUP, id="0", mkstream=True
            )

    async def start(self) -> int:
        """Create the group if needed and finish what this consumer left pending."""
        await self.ensure_group()
        await tasks.refresh_backup_metrics(self.deps)
        ran = await self.process(await self._read("0"))
        log.info("maintenance consumer started", consumer=self.name, resumed=ran)
        return ran

    async def run(self, stop: asyncio.Event) -> None:
        started = False
        while not stop.is_set():
            try:
                if not started:
                    await self.start()
                    started = True
                await self.step()
            except (RedisError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("maintenance consumer step failed", error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5)

    async def step(self) -> int:
        """One round: take over stale entries, then wait for new ones. How many ran."""
        claimed = await self._autoclaim()
        fresh = await self._read(">", block_ms=self.block_ms)
        return await self.process(claimed + fresh)

    async def _read(self, from_id: str, *, block_ms: int | None = None) -> list[Entry]:
        reply = await self.redis.xreadgroup(
            keys.SCHEDULE_GROUP,
            self.name,
            {keys.SCHEDULE_STREAM: from_id},
            count=10,
            block=block_ms,
        )
        return [(entry_id, fields) for _, entries in reply or [] for entry_id, fields in entries]

    async def _autoclaim(self) -> list[Entry]:
        reply = await self.redis.xautoclaim(
            keys.SCHEDULE_STREAM,
            keys.SCHEDULE_GROUP,
            self.name,
            min_idle_time=self.claim_idle_ms,
            start_id="0-0",
            count=10,
        )
        return [(entry_id, fields) for entry_id, fields in reply[1]]

    async def process(self, entries: list[Entry]) -> int:
        ran = 0
        for entry_id, fields in entries:
            ran += await self.handle(entry_id.decode(), fields)
        return ran

    async def handle(self, entry_id: str, fields: dict[bytes, bytes] | None) -> int:
        if not fields:  # trimmed away while pending: nothing left to run
            await self._ack(entry_id)
            return 0
        try:
            event = schedule.decode(fields)
        except ValueError as exc:
            log.error("malformed schedule entry dropped", entry_id=entry_id, error=str(exc))
            await self._ack(entry_id)
            return 0
        async with self.deps.pool.acquire() as conn:
            run = await runs_db.claim(
                conn,
                event.task,
                event.slot,
                entry_id=entry_id,
                consumer=self.name,
                lease=self.lease,
            )
            if run is None:
                existing = await runs_db.get(conn, event.task, event.slot)
        if run is None:
            if existing is not None and existing.status == "succeeded":
                await self._ack(entry_id)  # a redelivery of a slot already done
            return 0
        await self._execute(entry_id, event, run)
        return 1

    async def _execute(self, entry_id: str, event: ScheduleEvent, run: Run) -> None:
        slot = schedule.slot_text(event.slot)
        bound = log.bind(task=event.task, slot=slot, run_id=str(run.id), attempt=run.attempts)
        beat = asyncio.create_task(self._heartbeat(run))
        token = otel_context.attach(context_from(event.trace))
        try:
            with tracer.start_as_current_span(f"maintenance {event.task}"):
                result = await TASKS[event.task](self.deps, run)
        except Exception as exc:  # any failure is recorded; the entry stays for a retry
            error = f"{type(exc).__name__}: {exc}"
            async with self.deps.pool.acquire() as conn:
                await runs_db.finish(conn, run.id, error=error)
            self.deps.metrics.maintenance_runs.labels(event.task, "failed").inc()
            if run.attempts >= self.max_attempts:
                bound.error("maintenance run failed for the last time", error=error)
                await self._ack(entry_id)
            else:
                bound.warning("maintenance run failed; will retry", error=error)
            return
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            otel_context.detach(token)
        async with self.deps.pool.acquire() as conn:
            await runs_db.finish(conn, run.id, result=result)
        self.deps.metrics.maintenance_runs.labels(event.task, "succeeded").inc()
        await self._ack(entry_id)
        bound.info("maintenance run succeeded", **{k: v for k, v in result.items() if k != "path"})

    async def _heartbeat(self, run: Run) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                async with self.deps.pool.acquire() as conn:
                    await runs_db.heartbeat(conn, run.id)
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("maintenance heartbeat failed", error=str(exc))

    async def _ack(self, entry_id: str) -> None:
        await self.redis.xack(keys.SCHEDULE_STREAM, keys.SCHEDULE_GROUP, entry_id)


def default_name(queues: Sequence[str]) -> str:
    """This process's consumer name: the host and the queues it serves.

    Stable across restarts, so a restarted worker takes back its own pending entries at
    once; distinct for two worker processes on one host serving different queues, which
    must not share (and re-run) each other's pending entries.
    """
    return f"{socket.gethostname()}/{'+'.join(sorted(queues))}"
