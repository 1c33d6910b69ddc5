"""`autodevops verify-deployment` against a platform started by `autodevops dev` (what
`make run` runs) on free ports: every step passes on a healthy deployment, and a wrong
token or a platform that is not there fails with an exit code and a line that says why."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from redis.asyncio import Redis

from libs.common.embedded import free_port
from tests.conftest import Servers, _drop_database, _worker_index, with_database, with_redis_db
from tests.helpers import ROOT, run_cli

SECRET = "verify-deployment-secret"


# The tests share one platform: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("verify-deployment")


@pytest.fixture(scope="module")
def platform(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(URL, admin token) of `autodevops dev` on a database and a Redis database of its own,
    started once for the module: the platform takes most of a minute to start on a loaded
    machine, and the checks only read from it (plus webhook pings)."""
    tmp_path = tmp_path_factory.mktemp("verify-deployment")
    database = f"ado_verify_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_database(servers, database))
    # Not a pytest worker's number (1 + worker index), which other tests flush.
    redis_url = with_redis_db(servers.redis_url, 15 - _worker_index())
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": with_database(servers.pg_admin_url, database),
        "REDIS_URL": redis_url,
        "API_PORT": str(port),
        "WORKER_METRICS_PORT": "0",
        "SCHEDULER_METRICS_PORT": "0",
        "DATA_DIR": str(tmp_path / "data"),
        "WORKDIR": str(tmp_path / "work"),
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "dev.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "dev"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while not (found := re.search(r"admin API token \(shown once\): (\S+)", log.read_text())):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", found.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        asyncio.run(_drop_database(servers.pg_admin_url, database))
        asyncio.run(_flush(redis_url))


async def _create_database(servers: Servers, name: str) -> None:
    admin = await asyncpg.connect(servers.pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{servers.template}"')
    finally:
        await admin.close()


async def _flush(url: str) -> None:
    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def _verify(url: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTODEVOPS_TOKEN": token, "GITHUB_WEBHOOK_SECRET": SECRET}
    return run_cli("verify-deployment", url, "--timeout", "5", env=env, timeout=60)


def test_a_healthy_deployment_passes_every_step(platform: tuple[str, str]) -> None:
    url, token = platform
    result = _verify(url, token)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = [line.split()[:2] for line in lines[:-1]]
    assert steps == [
        ["ok", "health"],
        ["ok", "readiness"],
        ["ok", "metrics"],
        ["ok", "webhook"],
        ["ok", "token-read"],
    ]
    assert "redelivery: duplicate" in lines[3]
    assert "as admin" in lines[4]
    assert lines[-1].startswith("PASSED")


def test_a_wrong_token_fails_the_token_step(platform: tuple[str, str]) -> None:
    url, _ = platform
    wrong = _verify(url, "ado_" + "x" * 40)
    assert wrong.returncode == 1
    [line] = [ln for ln in wrong.stdout.splitlines() if "token-read" in ln]
    assert line.startswith("FAIL")
    assert "expected 200, got 401" in line


def test_a_deployment_that_is_not_there_fails_every_step() -> None:
    result = _verify(f"http://127.0.0.1:{free_port()}", "ado_" + "x" * 40)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert all(line.startswith("FAIL") for line in lines[:-1])
    assert "no answer" in lines[0]
    assert lines[-1].startswith("FAILED")
