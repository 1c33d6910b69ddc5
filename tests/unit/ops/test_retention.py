from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from libs.ops.retention import to_keep


@dataclass(frozen=True)
class B:
    finished_at: dt.datetime | None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def at(day: int, hour: int = 2) -> dt.datetime:
    # 2024-01-01 is a Monday.
    return dt.datetime(2024, 1, day, hour, tzinfo=dt.UTC)


def test_keeps_newest_of_each_recent_day_and_week() -> None:
    backups = [B(at(d, h)) for d in range(1, 29) for h in (2, 14)]
    kept = to_keep(backups, daily=3, weekly=2)
    by_id = {b.id: b.finished_at for b in backups if b.finished_at is not None}
    # Days 28, 27, 26 (the 14:00 one of each); weeks of the 28th (Sunday, week 4) and
    # week 3, whose newest is Sunday the 21st.
    assert sorted(by_id[i] for i in kept) == [at(21, 14), at(26, 14), at(27, 14), at(28, 14)]


def test_always_keeps_the_newest_and_ignores_unfinished() -> None:
    newest = B(at(10))
    assert to_keep([B(None), B(at(1)), newest], daily=1, weekly=0) == {newest.id}


def test_days_without_backups_do_not_use_up_slots() -> None:
    old = [B(at(1)), B(at(8)), B(at(15))]
    assert to_keep(old, daily=3, weekly=0) == {b.id for b in old}


def test_nothing_to_keep_from_nothing() -> None:
    assert to_keep([], daily=7, weekly=4) == set()
