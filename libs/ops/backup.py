"""Take a backup: pg_dump (custom format) of one consistent snapshot, checksummed, recorded."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import uuid
from pathlib import Path

import asyncpg
import structlog

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import catalog
from libs.common.db.backups import Backup
from libs.common.db.migrate import current_version
from libs.common.db.pool import connection
from libs.ops import files, pgtools

log = structlog.get_logger(__name__)


def dump_name(database: str, now: dt.datetime) -> str:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"autodevops-{database}-{stamp}-{secrets.token_hex(3)}.dump"


async def take_backup(
    settings: Settings, *, trigger: str, run_id: uuid.UUID | None = None
) -> Backup:
    """Dump DATABASE_URL into the backup directory; the row says succeeded or failed.

    The dump reads a snapshot exported from our own REPEATABLE READ transaction, and the
    row counts recorded for verification are counted in that same snapshot. A dump that
    fails leaves no file under a final name and a `failed` row with pg_dump's message.
    """
    directory = files.backup_dir(settings)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    async with (
        connection(settings.database_url) as snap,
        connection(settings.database_url) as meta,
    ):
        return await _dump(settings, snap, meta, directory, trigger, run_id)


async def _dump(
    settings: Settings,
    snap: asyncpg.Connection,
    meta: asyncpg.Connection,
    directory: Path,
    trigger: str,
    run_id: uuid.UUID | None,
) -> Backup:
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
    return await backups_db.succeed(
        meta,
        row.id,
        size_bytes=size,
        sha256=sha256,
        server_version=server_version,
        migration_version=version,
        table_rows=table_rows,
    )
