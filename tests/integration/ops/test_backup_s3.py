"""The S3-compatible backup target: upload, verify from the object, restore, prune."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path

import asyncpg
import msgspec
import pytest

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db.pool import create_pool
from libs.ops import files, s3
from libs.ops.backup import take_backup
from libs.ops.cleanup import prune_backups
from libs.ops.verify import verify_backup
from tests.conftest import Tenant
from tests.fakes.s3 import CREDENTIALS, FakeS3
from tests.helpers import run_cli
from tests.integration.ops.seed import seed_everything, snapshot_of


@pytest.fixture
def s3_settings(settings: Settings, fake_s3: FakeS3) -> Settings:
    return msgspec.structs.replace(
        settings,
        backup_s3_url=fake_s3.url("nightly"),
        backup_s3_endpoint_url=fake_s3.endpoint_url,
    )


async def test_a_backup_lives_in_the_bucket_and_verifies_from_it(
    s3_settings: Settings, fake_s3: FakeS3, db: asyncpg.Connection, tenant: Tenant
) -> None:
    await seed_everything(db, tenant, analyses=8)
    backup = await take_backup(s3_settings, trigger="test")

    assert backup.status == "succeeded", backup.error
    name = backup.path.rpartition("/")[2]
    assert backup.path == f"s3://{fake_s3.bucket}/nightly/{name}"
    assert fake_s3.keys() == [f"nightly/{name}"]
    head = fake_s3.client.head_object(Bucket=fake_s3.bucket, Key=f"nightly/{name}")
    assert head["ContentLength"] == backup.size_bytes
    assert head["Metadata"] == {"sha256": backup.sha256}
    # The bucket holds the backup; the local staging copy is gone.
    assert list(files.backup_dir(s3_settings).iterdir()) == []

    verified = await verify_backup(s3_settings, backup)
    assert verified.verified, verified.verification
    assert verified.verification is not None
    assert verified.verification["mismatches"] == {}
    assert list(files.backup_dir(s3_settings).iterdir()) == []


async def test_a_changed_object_does_not_verify(
    s3_settings: Settings, fake_s3: FakeS3, db: asyncpg.Connection, tenant: Tenant
) -> None:
    await seed_everything(db, tenant, analyses=2)
    backup = await take_backup(s3_settings, trigger="test")
    key = s3.parse(backup.path).key
    body = bytearray(fake_s3.client.get_object(Bucket=fake_s3.bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    fake_s3.client.put_object(
        Bucket=fake_s3.bucket, Key=key, Body=bytes(body), Metadata={"sha256": backup.sha256 or ""}
    )

    verified = await verify_backup(s3_settings, backup)

    assert not verified.verified
    assert verified.verification is not None
    assert "corrupt" in verified.verification["error"]


async def test_a_failed_upload_is_a_failed_backup_that_keeps_the_dump(
    settings: Settings, fake_s3: FakeS3, db: asyncpg.Connection, tenant: Tenant
) -> None:
    await seed_everything(db, tenant, analyses=2)
    missing = msgspec.structs.replace(
        settings,
        backup_s3_url=f"s3://{fake_s3.bucket}-gone/nightly",
        backup_s3_endpoint_url=fake_s3.endpoint_url,
    )

    backup = await take_backup(missing, trigger="test")

    assert backup.status == "failed"
    assert backup.error is not None
    assert "NoSuchBucket" in backup.error
    kept = Path(backup.path)
    assert f"kept at {kept}" in backup.error
    assert kept.is_file()
    assert files.read_sidecar(kept) == files.digest(kept)[0]
    assert await backups_db.latest_succeeded(db) is None


async def test_restore_latest_from_the_bucket_with_the_cli(
    s3_settings: Settings,
    fake_s3: FakeS3,
    db: asyncpg.Connection,
    tenant: Tenant,
    empty_database: str,
) -> None:
    await seed_everything(db, tenant, analyses=6)
    older = await take_backup(s3_settings, trigger="test")
    await db.execute("DELETE FROM ai_usage")
    newest = await take_backup(s3_settings, trigger="test")
    assert older.status == newest.status == "succeeded"
    _, sums = await snapshot_of(s3_settings.database_url)

    env = {
        **os.environ,
        **CREDENTIALS,
        "DATABASE_URL": empty_database,
        "BACKUP_S3_URL": fake_s3.url("nightly"),
        "BACKUP_S3_ENDPOINT_URL": fake_s3.endpoint_url,
        "DATA_DIR": s3_settings.data_dir,
    }
    proc = await asyncio.to_thread(run_cli, "restore", "latest", env=env)

    assert proc.returncode == 0, proc.stderr
    assert f"restored {newest.path}" in proc.stdout
    restored_counts, restored_sums = await snapshot_of(empty_database)
    # The dump's snapshot predates its own `backups` row; every other table is identical.
    assert restored_counts == newest.table_rows
    assert restored_counts["public.ai_usage"] == 0
    del sums["public.backups"], restored_sums["public.backups"]
    assert restored_sums == sums


async def test_restore_names_a_missing_object(
    s3_settings: Settings, fake_s3: FakeS3, empty_database: str
) -> None:
    env = {
        **os.environ,
        **CREDENTIALS,
        "DATABASE_URL": empty_database,
        "BACKUP_S3_ENDPOINT_URL": fake_s3.endpoint_url,
        "DATA_DIR": s3_settings.data_dir,
    }
    missing = fake_s3.url("nightly/none.dump")
    proc = await asyncio.to_thread(run_cli, "restore", missing, env=env)

    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: S3 read of {missing} failed")
    assert "Traceback" not in proc.stderr


async def test_retention_deletes_objects_of_forgotten_backups(
    s3_settings: Settings, fake_s3: FakeS3, db: asyncpg.Connection, tenant: Tenant
) -> None:
    await seed_everything(db, tenant, analyses=1)
    backups = [await take_backup(s3_settings, trigger="test") for _ in range(3)]
    # Three days apart: keep one daily backup, the newest.
    for age, backup in zip((2, 1, 0), backups, strict=True):
        await db.execute(
            "UPDATE backups SET finished_at = now() - $2::interval WHERE id = $1",
            backup.id,
            dt.timedelta(days=age),
        )
    assert len(fake_s3.keys()) == 3
    keep_one = msgspec.structs.replace(
        s3_settings, backup_retention_days=1, backup_retention_weeks=0
    )
    pool = await create_pool(keep_one, min_size=0, max_size=2)
    try:
        forgotten, removed = await prune_backups(keep_one, pool)
    finally:
        await pool.close()

    assert forgotten == 2
    assert sorted(removed) == sorted(b.path for b in backups[:2])
    assert fake_s3.keys() == [s3.parse(backups[2].path).key]
    rows = await backups_db.list_all(db)
    assert [r.id for r in rows] == [backups[2].id]
