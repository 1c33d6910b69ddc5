"""An outage of PostgreSQL or Redis is told from the work's own failure."""

from __future__ import annotations

import asyncpg
import pytest
from redis import exceptions as redis_errors

from libs.common import outages


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        redis_errors.BusyLoadingError("Valkey is loading the dataset in memory"),
    ],
)
def test_outages(exc: BaseException) -> None:
    assert outages.is_outage(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad payload"),
        FileNotFoundError(2, "No such file"),
        TimeoutError(),  # a slow query or job, not a server gone
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.RaiseError("refused"),
        redis_errors.ResponseError("WRONGTYPE"),
    ],
)
def test_failures_of_the_work(exc: BaseException) -> None:
    assert not outages.is_outage(exc)


def test_a_cause_counts_but_a_mere_context_does_not() -> None:
    caused = RuntimeError("submit failed")
    caused.__cause__ = ConnectionRefusedError()
    assert outages.is_outage(caused)
    while_handling = ValueError("raised while handling an outage")
    while_handling.__context__ = ConnectionRefusedError()
    assert not outages.is_outage(while_handling)


async def test_outlasting_retries_an_outage_and_not_a_failure() -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError()
        return "done"

    assert await outages.outlasting(flaky) == "done"
    assert len(calls) == 3

    async def broken() -> str:
        calls.append(1)
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        await outages.outlasting(broken)
