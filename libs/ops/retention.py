"""Which backups to keep: the newest of each of the last N days and M ISO weeks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol


class Dated(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def finished_at(self) -> dt.datetime | None: ...


def _newest_per_period(
    backups: Sequence[Dated], periods: int, period_of: Callable[[dt.datetime], Hashable]
) -> set[uuid.UUID]:
    kept: set[uuid.UUID] = set()
    seen: set[Hashable] = set()
    for backup in backups:
        assert backup.finished_at is not None
        period = period_of(backup.finished_at.astimezone(dt.UTC))
        if period in seen:
            continue
        if len(seen) == periods:
            break
        seen.add(period)
        kept.add(backup.id)
    return kept


def to_keep(backups: Sequence[Dated], *, daily: int, weekly: int) -> set[uuid.UUID]:
    """Ids of the successful backups to keep (like `restic forget --keep-daily --keep-weekly`).

    Periods count only days and weeks that have a backup, so a week without backups
    does not use up a slot. The newest backup is always kept.
    """
    finished = [(b.finished_at, b) for b in backups if b.finished_at is not None]
    ordered = [b for _, b in sorted(finished, key=lambda pair: pair[0], reverse=True)]
    if not ordered:
        return set()
    kept = {ordered[0].id}
    kept |= _newest_per_period(ordered, daily, lambda t: t.date())
    kept |= _newest_per_period(ordered, weekly, lambda t: t.isocalendar()[:2])
    return kept
