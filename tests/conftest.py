"""Real PostgreSQL and Redis for every test that needs them.

TEST_DATABASE_URL / TEST_REDIS_URL name servers to use; without them each pytest worker
starts embedded ones (the wheels `make run` uses). Every test gets its own database,
copied from a migrated template, and its own flushed Redis database number.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from hypothesis import settings as hypothesis_profiles
from redis.asyncio import Redis

from libs.common.config import Settings, load_settings
from libs.common.db import orgs, tokens
from libs.common.db.migrate import migrate
from libs.common.db.pool import connect
from libs.common.embedded import throwaway_servers

pytest_plugins = ["tests.fakes.fixtures", "tests.fakes.s3"]

# No per-example deadline: on a loaded 2-core machine one example can take a second, and a
# timing is not what the property tests assert.
hypothesis_profiles.register_profile("suite", deadline=None)
hypothesis_profiles.load_profile("suite")


@dataclass(frozen=True)
class Servers:
    pg_admin_url: str  # a database we may CREATE DATABASE from
    redis_url: str  # the server; tests pick their own database number
    template: str


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw") or 0)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


async def _prepare_template(admin_url: str, template: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{template}"')
    finally:
        await conn.close()
    conn = await connect(with_database(admin_url, template))
    try:
        await migrate(conn)
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    given = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    with throwaway_servers(tmp_path_factory.mktemp("servers"), *given) as (pg_url, redis_url):
        # Unique per process: concurrent runs against one server never share a template.
        template = f"ado_test_template_{os.getpid()}"
        asyncio.run(_prepare_template(pg_url, template))
        try:
            yield Servers(pg_url, redis_url, template)
        finally:
            asyncio.run(_drop_database(pg_url, template))


@pytest.fixture
async def database_url(servers: Servers) -> AsyncIterator[str]:
    name = f"ado_test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(servers.pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{servers.template}"')
        # A test's commits need not wait for the disk (the server may be shared, so this is
        # per database rather than for the whole server).
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await admin.close()
    yield with_database(servers.pg_admin_url, name)
    await _drop_database(servers.pg_admin_url, name)


@pytest.fixture
async def redis_url(servers: Servers) -> str:
    url = with_redis_db(servers.redis_url, 1 + _worker_index())
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()
    return url


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {},
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        log_format="console",
        allow_local_repos=True,
        worker_metrics_port=0,
        scheduler_metrics_port=0,
        data_dir=str(tmp_path / "data"),
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(settings.database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


@dataclass(frozen=True)
class Tenant:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_tenant(conn: asyncpg.Connection, login: str, org: str) -> Tenant:
    user_id, org_id = await orgs.bootstrap_admin(conn, login=login, org_slug=org)
    token, _ = await tokens.create_token(conn, org_id, user_id, "test")
    return Tenant(user_id, org_id, token)


@pytest.fixture
async def tenant(db: asyncpg.Connection) -> Tenant:
    return await make_tenant(db, "alice", "alice-org")


@pytest.fixture
async def other_tenant(db: asyncpg.Connection) -> Tenant:
    return await make_tenant(db, "mallory", "mallory-org")
