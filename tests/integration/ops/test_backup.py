"""Backups that restore: dump, verify in a scratch database, restore, compare every table."""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import msgspec
import pytest

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import catalog
from libs.common.db.pool import connect
from libs.ops import files, pgtools
from libs.ops.backup import take_backup
from libs.ops.restore import RestoreError, restore
from libs.ops.verify import verify_backup
from tests.conftest import Tenant
from tests.integration.ops.seed import seed_everything, snapshot_of


@pytest.fixture
def dump_dir(settings: Settings) -> Path:
    return files.backup_dir(settings)


async def test_backup_verifies_and_restores_every_table_identically(
    settings: Settings, db: asyncpg.Connection, tenant: Tenant, empty_database: str
) -> None:
    await seed_everything(db, tenant)
    counts_before, sums_before = await snapshot_of(settings.database_url)

    backup = await take_backup(settings, trigger="test")

    assert backup.status == "succeeded", backup.error
    path = Path(backup.path)
    assert path.is_file()
    assert path.stat().st_size == backup.size_bytes
    assert path.stat().st_mode & 0o777 == 0o600
    assert files.digest(path)[0] == backup.sha256 == files.read_sidecar(path)
    assert backup.table_rows == counts_before
    assert backup.migration_version is not None
    assert backup.migration_version >= 300
    assert not list(path.parent.glob("*" + files.PARTIAL_SUFFIX))

    verified = await verify_backup(settings, backup)
    assert verified.verified, verified.verification
    assert verified.verification is not None
    assert verified.verification["mismatches"] == {}
    assert verified.verification["tables"] == len(counts_before)
    # The scratch database is gone again.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = $1", verified.verification["database"]
        )
        == 0
    )

    await restore(empty_database, path)
    counts_after, sums_after = await snapshot_of(empty_database)
    assert counts_after == counts_before
    assert sums_after == sums_before
    assert counts_before["public.analyses"] == 40


async def test_restore_refuses_a_non_empty_database_without_force(
    settings: Settings, db: asyncpg.Connection, tenant: Tenant, empty_database: str
) -> None:
    await seed_everything(db, tenant, analyses=5)
    backup = await take_backup(settings, trigger="test")
    path = Path(backup.path)
    await restore(empty_database, path)
    target = await connect(empty_database)
    try:
        await target.execute("DELETE FROM ai_usage")
        with pytest.raises(RestoreError, match="not empty .* --force"):
            await restore(empty_database, path)
        assert await target.fetchval("SELECT count(*) FROM ai_usage") == 0

        await restore(empty_database, path, force=True)
        assert await target.fetchval("SELECT count(*) FROM ai_usage") == 5
    finally:
        await target.close()


async def test_restore_refuses_a_corrupt_dump(
    settings: Settings, db: asyncpg.Connection, tenant: Tenant, empty_database: str
) -> None:
    await seed_everything(db, tenant, analyses=2)
    backup = await take_backup(settings, trigger="test")
    path = Path(backup.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RestoreError, match="corrupt"):
        await restore(empty_database, path)
    verified = await verify_backup(settings, backup)
    assert not verified.verified
    assert verified.verification is not None
    assert "corrupt" in verified.verification["error"]


@contextlib.contextmanager
def file_size_limit() -> Iterator[None]:
    # Like a disk filling up: every write past 32 KiB fails with EFBIG (CPython ignores
    # SIGXFSZ, and pg_dump inherits that), so pg_dump dies part way through its output.
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


async def test_a_dump_that_fails_midway_is_a_failed_backup(
    settings: Settings, db: asyncpg.Connection, tenant: Tenant, dump_dir: Path
) -> None:
    await seed_everything(db, tenant, analyses=300)
    with file_size_limit():
        backup = await take_backup(settings, trigger="test")

    assert backup.status == "failed"
    assert backup.error is not None
    assert "pg_dump was killed by SIGXFSZ" in backup.error
    assert backup.sha256 is None
    assert backup.size_bytes is None
    assert list(dump_dir.iterdir()) == []
    row = await backups_db.latest_succeeded(db)
    assert row is None


async def test_pg_dump_of_the_wrong_version_is_refused(
    settings: Settings, tmp_path: Path, dump_dir: Path
) -> None:
    wrong = msgspec.structs.replace(settings, pg_bin_dir=str(tmp_path))
    backup = await take_backup(wrong, trigger="test")
    assert backup.status == "failed"
    assert backup.error is not None
    assert "PG_BIN_DIR" in backup.error
    assert list(dump_dir.iterdir()) == []


async def test_tools_match_the_server_major_version(db: asyncpg.Connection) -> None:
    major = await catalog.server_major(db)
    tools = pgtools.pick(major)
    assert pgtools.tool_major(tools.bin_dir) == major
