"""The scheduler loop: hold the leader lock, emit due schedule slots, sweep lost jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from opentelemetry import trace
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common import jobs
from libs.common.config import Settings
from libs.common.metrics import Metrics
from libs.common.redis import keys
from libs.common.telemetry import current_carrier
from libs.ops import schedule
from libs.ops.schedule import ScheduleEvent, Task
from services.scheduler.leader import LeaderLock

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.scheduler")

Clock = Callable[[], dt.datetime]

TICK_S = 1.0
LOCK_TTL_MS = 15_000
RECONCILE_EVERY_S = 60.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Scheduler:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    metrics: Metrics
    clock: Clock = utc_now
    identity: str = field(default_factory=default_identity)
    lock: LeaderLock = field(init=False)
    leader: bool = False
    _last_reconcile: dt.datetime | None = None
    # The latest slot of each task this instance has dealt with (emitted, found emitted by
    # another replica, or skipped as too old); only a newer slot needs Redis again.
    _handled: dict[Task, dt.datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = LeaderLock(self.redis, keys.SCHEDULER_LEADER, LOCK_TTL_MS, self.identity)

    @property
    def marker_ttl_s(self) -> int:
        # Outlives the catch-up window: no replica will try a slot after its marker expires.
        return self.settings.schedule_catchup_seconds + 3600

    async def tick(self) -> None:
        was_leader = self.leader
        self.leader = await self.lock.hold()
        self.metrics.scheduler_leader.set(1 if self.leader else 0)
        if self.leader != was_leader:
            log.info("leadership changed", leader=self.leader, identity=self.identity)
        if not self.leader:
            return
        self.metrics.scheduler_ticks.inc()
        now = self.clock()
        for task in schedule.TASKS:
            await self._emit_due(task, now)
        last = self._last_reconcile
        if last is None or (now - last).total_seconds() >= RECONCILE_EVERY_S:
            self._last_reconcile = now
            count = await jobs.reconcile(self.pool, self.redis)
            if count:
                log.info("reconciler re-enqueued jobs", count=count)

    async def _emit_due(self, task: Task, now: dt.datetime) -> None:
        expr = schedule.cron_for(self.settings, task)
        slot = schedule.latest_slot(expr, now)
        if self._handled.get(task) == slot:
            return
        await self._count_missed(task, expr, slot, now)
        self._handled[task] = slot
        self.metrics.schedule_last_slot.labels(task).set(slot.timestamp())
        age_s = (now - slot).total_seconds()
        if age_s > self.settings.schedule_catchup_seconds:
            return
        with tracer.start_as_current_span(f"schedule {task}", kind=trace.SpanKind.PRODUCER):
            event = ScheduleEvent(
                task=task, slot=slot, emitted_at=now, emitter=self.identity, trace=current_carrier()
            )
            entry_id = await schedule.emit_once(self.redis, event, self.marker_ttl_s)
            if entry_id is not None:
                self.metrics.schedule_events.labels(task).inc()
                log.info(
                    "schedule event emitted",
                    task=task,
                    slot=schedule.slot_text(slot),
                    entry_id=entry_id,
                    late_s=round(age_s, 1),
                )

    async def _count_missed(
        self, task: Task, expr: str, slot: dt.datetime, now: dt.datetime
    ) -> None:
        """Count slots that went by while no scheduler ran: those between the last one
        emitted and `slot`, and `slot` itself when it is too old to run now. With nothing
        ever emitted (a first start) there was nothing to miss."""
        last = await schedule.last_emitted(self.redis, task)
        if last is None or last >= slot:
            return
        missed = schedule.slots_between(expr, last, slot)
        if (now - slot).total_seconds() > self.settings.schedule_catchup_seconds:
            missed += 1
        if missed:
            self.metrics.schedule_slots_missed.labels(task).inc(missed)
            log.warning(
                "schedule slots missed", task=task, count=missed, since=schedule.slot_text(last)
            )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except (RedisError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.leader = False
                log.warning("scheduler tick failed", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), TICK_S)
            except TimeoutError:
                pass
        if self.leader:
            try:
                await self.lock.release()
            except RedisError:
                pass
