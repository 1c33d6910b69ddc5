"""Each service process reports to Sentry when SENTRY_DSN is set: a worker or scheduler
whose database was never migrated reports it (and stays up), an api on such a database
answers 500; each error arrives with its service, release and environment (and
the api's with its request id), never with the database password or the caller's token."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

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
async def test_a_service_reports_an_error_that_is_no_outage(
    service: str, fake_sentry: FakeSentry, servers: Servers, redis_url: str
) -> None:
    """A database that was never migrated is no outage to wait out quietly: the service
    stays up (it heals once migrations run) and reports the error."""
    name = f"ado_unmigrated_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(servers.pg_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    parts = urlsplit(with_database(servers.pg_admin_url, name))
    user = parts.username or "postgres"
    # The server may ignore the password (trust): it must never reach Sentry all the same.
    host = parts.netloc.rsplit("@", 1)[-1]
    url = parts._replace(netloc=f"{user}:{PASSWORD}@{host}").geturl()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"services.{service}",
        env=_env(fake_sentry, url, redis_url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(60):
            events = await fake_sentry.wait_for_events(1, timeout=60)
            while not any(e.get("exception") for e in events):
                events = await fake_sentry.wait_for_events(len(events) + 1, timeout=60)
        assert proc.returncode is None  # still up
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
        admin = await asyncpg.connect(servers.pg_admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert {e["server_name"] for e in events} == {service}
    assert all(e["release"] == "autodevops@1.2.3" for e in events)
    assert all(e["environment"] == "production" for e in events)
    assert all(e["tags"]["service"] == service for e in events)
    assert "UndefinedTableError" in {
        v["type"] for e in events for v in (e.get("exception") or {}).get("values", [])
    }
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
