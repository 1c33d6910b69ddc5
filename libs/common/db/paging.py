"""Keyset pages for every list: rows ordered by (a timestamp, id), each page ending with
the position of its last row, the next one starting after it. Unlike offsets, a page
never repeats or skips rows written meanwhile, and each is one index range scan."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Microseconds since the epoch (16 digits reach the year 2286), then the row's id.
CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9a-f]{32}$"
_CURSOR = re.compile(CURSOR_PATTERN.rstrip("$"))


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last row's ordering timestamp and id."""

    at: dt.datetime
    id: uuid.UUID

    def cursor(self) -> str:
        micros = (self.at - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}-{self.id.hex}"

    @classmethod
    def from_cursor(cls, cursor: str) -> Position:
        """The position a cursor names. Every string CURSOR_PATTERN matches is one, so
        what the API document admits, the API takes; ValueError for anything else."""
        if not _CURSOR.fullmatch(cursor):
            raise ValueError("not a cursor this API gave")
        micros, _, hex_id = cursor.partition("-")
        return cls(EPOCH + dt.timedelta(microseconds=int(micros)), uuid.UUID(hex=hex_id))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Position | None  # None on the last page


@dataclass(frozen=True)
class Keyset:
    """The ordering of one list, as SQL: `columns` is "<timestamp column>, <id column>"."""

    columns: str
    descending: bool = True

    def after(self, first_param: int) -> str:
        """A WHERE condition: rows after the position in parameters $n (timestamp) and
        $n+1 (id), or every row when they are NULL."""
        op = "<" if self.descending else ">"
        n = first_param
        return f"(${n}::timestamptz IS NULL OR ({self.columns}) {op} (${n}, ${n + 1}::uuid))"

    @property
    def order_by(self) -> str:
        direction = " DESC" if self.descending else ""
        return ", ".join(f"{c.strip()}{direction}" for c in self.columns.split(","))


def position_args(after: Position | None) -> tuple[dt.datetime | None, uuid.UUID | None]:
    return (after.at, after.id) if after else (None, None)


def page_of(rows: list[T], limit: int, position: Callable[[T], Position]) -> Page[T]:
    """`rows` fetched with LIMIT limit + 1: the extra row only says there is a next page."""
    if len(rows) > limit:
        kept = rows[:limit]
        return Page(kept, position(kept[-1]))
    return Page(rows, None)
