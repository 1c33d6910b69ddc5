"""The `schedule` stream contract: the tasks, their cron slots, and emitting a slot once."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from cronsim import CronSim, CronSimError
from redis.asyncio import Redis

from libs.common.config import ConfigError, Settings
from libs.common.redis import keys

Task = Literal["backup", "cleanup"]
TASKS: tuple[Task, ...] = ("backup", "cleanup")
# Two events a day: this bound is years of history, far beyond anything still pending.
STREAM_MAXLEN = 10_000


class ScheduleEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One due slot of one task, as it travels on the `schedule` stream."""

    task: Task
    slot: dt.datetime
    emitted_at: dt.datetime
    emitter: str
    trace: dict[str, str] = {}


_decoder = msgspec.json.Decoder(ScheduleEvent)


def decode(fields: dict[bytes, bytes]) -> ScheduleEvent:
    """The event in a stream entry; ValueError when it is not one."""
    raw = fields.get(b"event")
    if raw is None:
        raise ValueError("schedule entry has no `event` field")
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise ValueError(f"malformed schedule entry: {exc}") from None


def slot_text(slot: dt.datetime) -> str:
    return slot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cron_for(settings: Settings, task: Task) -> str:
    return settings.schedule_backup_cron if task == "backup" else settings.schedule_cleanup_cron


def check_crons(settings: Settings) -> None:
    """Raise ConfigError naming the variable whose cron expression does not parse."""
    now = dt.datetime.now(dt.UTC)
    for task in TASKS:
        expr = cron_for(settings, task)
        try:
            next(CronSim(expr, now))
        except (CronSimError, StopIteration) as exc:
            name = f"SCHEDULE_{task.upper()}_CRON"
            raise ConfigError(f"{name} is invalid: {expr!r} ({exc or 'never fires'})") from None


def latest_slot(expr: str, now: dt.datetime) -> dt.datetime:
    """The most recent time at or before `now` that `expr` fires (UTC)."""
    # Reverse iteration yields times strictly before its start, so start a second later.
    start = now.astimezone(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    return next(CronSim(expr, start, reverse=True))


def next_slot(expr: str, now: dt.datetime) -> dt.datetime:
    """The first time strictly after `now` that `expr` fires (UTC)."""
    return next(CronSim(expr, now.astimezone(dt.UTC)))


def slots_between(expr: str, after: dt.datetime, before: dt.datetime, cap: int = 10_000) -> int:
    """How many times `expr` fires strictly between two slots (counting stops at `cap`)."""
    count = 0
    for slot in CronSim(expr, after.astimezone(dt.UTC)):
        if slot >= before or count == cap:
            return count
        count += 1
    return count


# The marker and the entry are written in one script, so no crash between them can lose
# a slot (marker set, nothing emitted) or emit it twice (emitted, no marker).
_EMIT_ONCE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  local last = redis.call('GET', KEYS[3])
  if (not last) or last < ARGV[5] then
    redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6])
  end
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', ARGV[4])
end
return false
"""
LAST_SLOT_TTL_S = 60 * 24 * 3600


async def emit_once(redis: Redis, event: ScheduleEvent, marker_ttl_s: int) -> str | None:
    """XADD the event unless its (task, slot) was emitted before; the entry id, or None."""
    slot = slot_text(event.slot)
    result = await redis.eval(  # type: ignore[misc]
        _EMIT_ONCE,
        3,
        keys.schedule_slot(event.task, slot),
        keys.SCHEDULE_STREAM,
        keys.schedule_last(event.task),
        event.emitter,
        str(marker_ttl_s),
        str(STREAM_MAXLEN),
        msgspec.json.encode(event).decode(),
        slot,
        str(LAST_SLOT_TTL_S),
    )
    if not result:
        return None
    return result.decode() if isinstance(result, bytes) else str(result)


async def last_emitted(redis: Redis, task: Task) -> dt.datetime | None:
    """The newest slot of `task` ever emitted (remembered 60 days), or None."""
    last = await redis.get(keys.schedule_last(task))
    if last is None:
        return None
    return dt.datetime.strptime(last.decode(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
