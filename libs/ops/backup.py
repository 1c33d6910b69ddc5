"""Take a backup: pg_dump (custom format) of one consistent snapshot, checksummed, recorded."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import uuid
from pathlib import Path

import asyncpg
import msgspec
import structlog

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import catalog
from libs.common.db.backups import Backup
from libs.common.db.migrate import current_version
from libs.common.db.pool import connection
from libs.ops import files, pgtools, s3
from libs.ops.s3 import S3Error

log = structlog.get_logger(__name__)


def dump_name(database: str, now: dt.datetime) -> str:
    """Names sort by time (to the millisecond), which is how `restore latest` finds one."""
    now = now.astimezone(dt.UTC)
    stamp = f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z"
    return f"autodevops-{database}-{stamp}-{secrets.token_hex(3)}.dump"


async def take_backup(
    settings: Settings, *, trigger: str, run_id: uuid.UUID | None = None
) -> Backup:
    """Dump DATABASE_URL into the backup directory; the row says succeeded or failed.

    The dump reads a snapshot exported from our own REPEATABLE READ transaction, and the
    row counts recorded for verification are counted in that same snapshot. A dump that
    fails leaves no file under a final name and a `failed` row with pg_dump's message.
    With BACKUP_S3_URL the finished dump is uploaded and the object becomes the backup;
    a failed upload is a failed backup that keeps the local file for a manual retry.
    """
    directory = files.backup_dir(settings)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    async with (
        connection(settings.database_url) as snap,
        connection(settings.database_url) as meta,
    ):
        dumped = await _dump(settings, snap, meta, directory, trigger, run_id)
        if isinstance(dumped, Backup):
            return dumped
        return await _store(settings, meta, dumped)


class _Dumped(msgspec.Struct, kw_only=True):
    row: Backup
    final: Path
    sha256: str
    size: int
    server_version: str
    migration_version: int
    table_rows: dict[str, int]


async def _dump(
    settings: Settings,
    snap: asyncpg.Connection,
    meta: asyncpg.Connection,
    directory: Path,
    trigger: str,
    run_id: uuid.UUID | None,
) -> Backup | _Dumped:
    database = await catalog.database_name(snap)
    final = directory / dump_name(database, dt.datetime.now(dt.UTC))
    partial = final.with_name(final.name + files.PARTIAL_SUFFIX)
    # The row is written after the snapshot is taken, so a dump never holds its own
    # `running` row.
    tx = snap.transaction(isolation="repeatable_read", readonly=True)
    await tx.start()
    row: Backup | None = None
    try:
        snapshot = await catalog.export_snapshot(snap)
        row = await backups_db.start(meta, path=str(final), trigger=trigger, run_id=run_id)
        tools = pgtools.pick(await catalog.server_major(snap), settings.pg_bin_dir)
        table_rows = await catalog.row_counts(snap)
        version = await current_version(snap)
        server_version = await catalog.server_version(snap)
        target, env = pgtools.libpq_target(settings.database_url)
        await pgtools.run(
            [
                tools.path("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                f"--file={partial}",
                f"--dbname={target}",
            ],
            env=env,
            timeout_s=settings.backup_timeout_seconds,
        )
        sha256, size = await asyncio.to_thread(files.publish, partial, final)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        if row is None:
            raise
        log.error("backup failed", backup_id=str(row.id), error=str(exc))
        return await backups_db.fail(meta, row.id, f"{type(exc).__name__}: {exc}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await tx.rollback()
    log.info("backup written", backup_id=str(row.id), path=str(final), size=size)
    return _Dumped(
        row=row,
        final=final,
        sha256=sha256,
        size=size,
        server_version=server_version,
        migration_version=version,
        table_rows=table_rows,
    )


async def _store(settings: Settings, meta: asyncpg.Connection, dumped: _Dumped) -> Backup:
    """Upload to the S3 target when there is one; record where the backup now lives."""
    path = str(dumped.final)
    target = s3.store(settings)
    if target is not None:
        try:
            path = await target.upload(dumped.final, dumped.final.name, dumped.sha256)
        except S3Error as exc:
            log.error("backup upload failed", backup_id=str(dumped.row.id), error=str(exc))
            return await backups_db.fail(
                meta, dumped.row.id, f"{exc}; the dump is kept at {dumped.final}"
            )
        await asyncio.to_thread(files.remove, dumped.final)
        log.info("backup uploaded", backup_id=str(dumped.row.id), path=path)
    return await backups_db.succeed(
        meta,
        dumped.row.id,
        path=path,
        size_bytes=dumped.size,
        sha256=dumped.sha256,
        server_version=dumped.server_version,
        migration_version=dumped.migration_version,
        table_rows=dumped.table_rows,
    )
