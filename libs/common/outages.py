"""Telling an outage of PostgreSQL or Redis from a failure of the work itself, and waiting
one out.

A delivery or a job that fails because a server is down or restarting is not at fault: it
waits and is tried again, without spending one of its attempts. Everything else is the
work's own failure and counts.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TypeVar

import asyncpg
import stamina
from redis import exceptions as redis_errors

T = TypeVar("T")

# How long one wait between tries grows to: a server back within 10 s is noticed at once.
WAIT_INITIAL_S = 0.2
WAIT_MAX_S = 2.0

_POSTGRES_DOWN = (
    asyncpg.PostgresConnectionError,  # class 08: cannot connect, connection lost
    asyncpg.InterfaceError,  # "connection is closed", a pool closing under us
    asyncpg.CannotConnectNowError,  # 57P03: starting up, recovering after a crash
    asyncpg.AdminShutdownError,  # 57P01: terminated by a shutdown
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.TooManyConnectionsError,  # 53300: every replica reconnecting at once
)
_REDIS_DOWN = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,  # a restarted server still reading its AOF
    redis_errors.TryAgainError,
)

_NETWORK_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.ETIMEDOUT}
)


def is_outage(exc: BaseException) -> bool:
    """True when `exc`, or what caused it, says PostgreSQL or Redis is not reachable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    # Only explicit causes (`raise ... from exc`): an error raised while handling an outage
    # is not necessarily about it.
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _POSTGRES_DOWN + _REDIS_DOWN):
            return True
        # Refused, reset or unreachable below either client; a name that does not resolve
        # while its container restarts.
        if isinstance(current, (ConnectionError, socket.gaierror)):
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        current = current.__cause__
    return False


def waiting_out() -> AsyncIterable[stamina.Attempt]:
    """`async for attempt in waiting_out(): with attempt: ...`: retried with backoff for as
    long as the failure is an outage (no cap: a task is cancelled to stop it)."""
    return stamina.retry_context(
        on=is_outage,
        attempts=None,
        timeout=None,
        wait_initial=WAIT_INITIAL_S,
        wait_max=WAIT_MAX_S,
        wait_jitter=WAIT_INITIAL_S,
    )


async def outlasting(call: Callable[[], Awaitable[T]]) -> T:
    """`await call()`, repeated through outages until it answers or fails for real."""
    async for attempt in waiting_out():
        with attempt:
            return await call()
    raise AssertionError("unreachable: the retries have no cap")
