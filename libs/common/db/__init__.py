"""PostgreSQL: the pool, migrations, and one query module per domain."""

from __future__ import annotations

from typing import TypeAlias, TypeVar

import asyncpg
import msgspec
from asyncpg.pool import PoolConnectionProxy

T = TypeVar("T")
# A connection of our own or one borrowed from the pool: query functions take either.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


def to_struct(record: asyncpg.Record, type_: type[T]) -> T:
    return msgspec.convert(dict(record), type_, from_attributes=True)


def to_structs(records: list[asyncpg.Record], type_: type[T]) -> list[T]:
    return [to_struct(r, type_) for r in records]


def row_or_none(record: asyncpg.Record | None, type_: type[T]) -> T | None:
    return None if record is None else to_struct(record, type_)


__all__ = ["Conn", "row_or_none", "to_struct", "to_structs"]
