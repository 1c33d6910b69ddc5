"""Each service process reports to Sentry when SENTRY_DSN is set: a worker or scheduler
started against a PostgreSQL that does not answer dies, an api whose database was never
migrated answers 500; each error arrives with its service, release and environment (and
the api's with its request id), never with the database password or the caller's token."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from libs.common.embedded import free_port
from tests.conftest import Servers, with_database
from tests.fakes.sentry import FakeSentry

PASSWORD = "pg-password-do-not-leak"


def _env(fake_sentry: FakeSentry, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "API_PORT": str(free_port()),
        "WORKER_METRICS_PORT": "0",
        "SCHEDULER_METRICS_PORT": "0",
        "ENVIRONMENT": "production",
        "LOG_FORMAT": "json",
        "SENTRY_DSN": fake_sentry.dsn,
        "SENTRY_RELEASE": "autodevops@1.2.3",
    }


@pytest.mark.parametrize("service", ["worker", "scheduler"])
async def test_a_dying_service_reports_its_error(
    service: str, fake_sentry: FakeSentry, redis_url: str
) -> None:
    unreachable = f"postgresql://app:{PASSWORD}@127.0.0.1:{free_port()}/nothing"
    env = _env(fake_sentry, unreachable, redis_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"services.{service}",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0, stderr.decode()[-2000:]
    events = await fake_sentry.wait_for_events(1)
    assert {e["server_name"] for e in events} == {service}
    assert all(e["release"] == "autodevops@1.2.3" for e in events)
    assert all(e["environment"] == "production" for e in events)
    assert any(e.get("exception") for e in events)
    assert all(e["tags"]["service"] == service for e in events)
    assert PASSWORD not in b"".join(fake_sentry.raw).decode()


async def test_an_api_error_reports_its_request(
    fake_sentry: FakeSentry, servers: Servers, redis_url: str, tmp_path: Path
) -> None:
    name = f"ado_unmigrated_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(servers.pg_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    env = _env(fake_sentry, with_database(servers.pg_admin_url, name), redis_url)
    log = (tmp_path / "api.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "services.api"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{env['API_PORT']}"
    token = "ado_" + "x" * 40
    try:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(30):
                while True:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(f"{url}/health") as response:
                            if response.status == 200:
                                break
                    await asyncio.sleep(0.2)
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(f"{url}/v1/me", headers=headers) as response:
                assert response.status == 500
                request_id = response.headers["X-Request-ID"]
        [event] = await fake_sentry.wait_for_events(1, timeout=20)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        admin = await asyncpg.connect(servers.pg_admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert event["server_name"] == "api"
    assert event["tags"]["request_id"] == request_id
    assert event["exception"]["values"][-1]["type"] == "UndefinedTableError"
    assert event["release"] == "autodevops@1.2.3"
    assert token not in b"".join(fake_sentry.raw).decode()
