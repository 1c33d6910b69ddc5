"""Services started while PostgreSQL and Redis are unreachable stay up, say 503 on /ready,
and become ready by themselves once both answer.

PostgreSQL is reached through a loopback TCP relay the test opens only later (the network
path is down, not the server); Redis is an embedded Valkey started later on the port the
services were given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aiohttp
import pytest

from libs.common.embedded import EmbeddedRedis, free_port
from tests.helpers import ROOT

# Never beside another test that starts a whole platform or times a worker's calls: on
# two cores, a chaos or crash test beside the pipeline's Gemini-fault tests stalled the
# embedded PostgreSQL past those tests' bounds (`make test` runs pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("whole-platform")

SERVICES = ("api", "worker", "scheduler")
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _postgres_at(url: str) -> Callable[[], Awaitable[Streams]]:
    """How to open a connection to the server of `url`: TCP, or the unix socket the
    embedded server listens on (`?host=/dir&port=N`)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if "host" in query:
        path = f"{query['host'][0]}/.s.PGSQL.{query.get('port', ['5432'])[0]}"
        return lambda: asyncio.open_unix_connection(path)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    return lambda: asyncio.open_connection(host, port)


def _through(url: str, port: int) -> str:
    """`url` with its server replaced by 127.0.0.1:`port`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}", query=""))


@contextlib.asynccontextmanager
async def _relay(port: int, connect: Callable[[], Awaitable[Streams]]) -> AsyncIterator[None]:
    """Forward connections to 127.0.0.1:`port` to the server `connect` opens while inside."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await connect()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


async def _statuses(http: aiohttp.ClientSession, urls: dict[str, str]) -> dict[str, int]:
    found = {}
    for name, url in urls.items():
        try:
            async with http.get(f"{url}/ready", timeout=aiohttp.ClientTimeout(total=4)) as r:
                found[name] = r.status
        except (aiohttp.ClientError, TimeoutError):
            found[name] = 0
    return found


async def test_services_started_during_an_outage_wait_for_it_to_end(
    database_url: str, tmp_path: Path
) -> None:
    pg_port, redis_port = free_port(), free_port()
    relayed = _through(database_url, pg_port)
    ports = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "DATABASE_URL": relayed,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "API_PORT": str(ports["api"]),
        "WORKER_METRICS_PORT": str(ports["worker"]),
        "SCHEDULER_METRICS_PORT": str(ports["scheduler"]),
        "WORKER_MAINTENANCE": "false",
        "LOG_FORMAT": "json",
        "ENVIRONMENT": "test",
        "WORKDIR": str(tmp_path / "work"),
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    procs = {}
    for name in SERVICES:
        with open(tmp_path / f"{name}.log", "wb") as out:
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    redis = EmbeddedRedis(tmp_path / "redis", port=redis_port, persist=False)
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 60
            while await _statuses(http, urls) != dict.fromkeys(SERVICES, 503):
                assert time.monotonic() < deadline, "every service answers /ready with 503"
                await asyncio.sleep(0.3)
            await asyncio.sleep(1)  # a few rounds of reconnecting
            for name, proc in procs.items():
                assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()[-2000:]

            redis.start()
            async with _relay(pg_port, _postgres_at(database_url)):
                back = time.monotonic()
                while await _statuses(http, urls) != dict.fromkeys(SERVICES, 200):
                    assert time.monotonic() - back < 10, await _statuses(http, urls)
                    await asyncio.sleep(0.2)
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        redis.stop()
