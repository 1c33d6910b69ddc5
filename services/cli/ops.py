"""`autodevops backup | restore | cleanup`: the operations the scheduler runs, by hand."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db.backups import Backup
from libs.common.db.pool import connection, create_pool
from libs.common.redis.client import create_redis
from libs.ops import files, s3
from libs.ops.backup import take_backup
from libs.ops.cleanup import CleanupReport, run_cleanup
from libs.ops.pgtools import PgToolsError
from libs.ops.restore import RestoreError, restore
from libs.ops.s3 import S3Error
from libs.ops.verify import verify_backup
from services.cli.common import command_settings, database_settings, fail, human_size


def _describe(backup: Backup) -> str:
    verified = {True: "verified", False: "NOT verified"}[backup.verified]
    if backup.verified_at is None:
        verified = "not checked"
    when = f"{backup.started_at:%Y-%m-%d %H:%M:%S}Z"
    if backup.status != "succeeded":
        return f"{when}  {backup.status:<9}  {backup.error or ''}"
    size = human_size(backup.size_bytes)
    return f"{when}  {backup.status:<9}  {size:>10}  {verified:<12}  {backup.path}"


async def _list_backups(database_url: str) -> None:
    async with connection(database_url) as conn:
        rows = await backups_db.list_recent(conn, 20)
    for row in rows:
        print(_describe(row))
    if not rows:
        print("no backups recorded yet")


def _backup(args: argparse.Namespace) -> int:
    settings = database_settings()
    if args.list:
        asyncio.run(_list_backups(settings.database_url))
        return 0
    backup = asyncio.run(take_backup(settings, trigger="cli"))
    if backup.status != "succeeded":
        return fail(f"backup failed: {backup.error}", 1)
    print(
        f"backup written: {backup.path} ({human_size(backup.size_bytes)}, sha256 {backup.sha256})"
    )
    if args.no_verify or not settings.backup_verify:
        return 0
    backup = asyncio.run(verify_backup(settings, backup))
    if not backup.verified:
        return fail(f"the backup did not verify: {backup.verification}", 1)
    tables = (backup.verification or {}).get("tables")
    print(f"verified: restored into a scratch database, {tables} tables match")
    return 0


def _latest_local(directory: Path) -> str:
    dumps = sorted(directory.glob("*.dump"))
    if not dumps:
        raise RestoreError(f"no *.dump files in {directory}")
    return str(dumps[-1])


async def _latest(settings: Settings) -> str:
    """The newest dump: in the S3 target when one is configured, else in BACKUP_DIR."""
    target = s3.store(settings)
    if target is None:
        return _latest_local(files.backup_dir(settings))
    newest = await target.latest()
    if newest is None:
        raise RestoreError(f"no *.dump objects under {settings.backup_s3_url}")
    return newest


async def _restore_from(settings: Settings, args: argparse.Namespace) -> tuple[str, int]:
    path = await _latest(settings) if args.file == "latest" else args.file
    async with s3.local_copy(settings, path) as local:
        tables = await restore(
            args.database_url or settings.database_url,
            local,
            force=args.force,
            pg_bin_dir=settings.pg_bin_dir,
            timeout_s=settings.backup_timeout_seconds,
        )
    return path, tables


def _restore(args: argparse.Namespace) -> int:
    settings = database_settings()
    try:
        path, tables = asyncio.run(_restore_from(settings, args))
    except (RestoreError, PgToolsError, S3Error) as exc:
        return fail(str(exc), 1)
    print(f"restored {path}: the database now has {tables} tables")
    print("next: `autodevops migrate` applies any migration newer than the backup")
    return 0


async def _cleanup_now(settings: Settings) -> CleanupReport:
    pool = await create_pool(settings, min_size=0, max_size=2)
    redis = create_redis(settings)
    try:
        return await run_cleanup(settings, pool, redis)
    finally:
        await redis.aclose()
        await pool.close()


def _cleanup(args: argparse.Namespace) -> int:
    report = asyncio.run(_cleanup_now(command_settings()))
    for kind, count in report.removed.items():
        print(f"{kind:<20} {count:>8} removed")
    for path in report.backup_files:
        print(f"deleted {path}")
    return 0


def register(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="dump the database to BACKUP_DIR (uploaded to BACKUP_S3_URL when set) "
        "and verify it by restoring a copy",
    )
    backup.add_argument("--no-verify", action="store_true", help="skip the test restore")
    backup.add_argument("--list", action="store_true", help="list recent backups instead")
    backup.set_defaults(run=_backup)

    restore_cmd = commands.add_parser(
        "restore", help="restore a backup into DATABASE_URL (or --database-url)"
    )
    restore_cmd.add_argument(
        "file",
        help="a .dump file, an s3://bucket/key object, or `latest` for the newest dump "
        "(in BACKUP_S3_URL when set, else in BACKUP_DIR)",
    )
    restore_cmd.add_argument("--database-url", help="restore here instead of DATABASE_URL")
    restore_cmd.add_argument(
        "--force", action="store_true", help="overwrite a database that already has tables"
    )
    restore_cmd.set_defaults(run=_restore)

    cleanup = commands.add_parser("cleanup", help="apply every retention rule now")
    cleanup.set_defaults(run=_cleanup)
