"""Verify a backup: restore it into a scratch database and compare it with what was dumped."""

from __future__ import annotations

import secrets
import time
from typing import Any

import structlog

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import catalog
from libs.common.db.backups import Backup
from libs.common.db.migrate import current_version
from libs.common.db.pool import connection
from libs.ops import pgtools, restore, s3
from libs.ops.pgtools import PgToolsError
from libs.ops.restore import RestoreError
from libs.ops.s3 import S3Error

log = structlog.get_logger(__name__)
# PostgreSQL truncates identifiers at 63 bytes; keep the random suffix intact.
_NAME_ROOM = 63 - len("_verify_") - 12


def scratch_name(database: str) -> str:
    return f"{database[:_NAME_ROOM]}_verify_{secrets.token_hex(6)}"


def compare(backup: Backup, table_rows: dict[str, int], version: int) -> dict[str, Any]:
    """What differs between the rows counted at dump time and those restored."""
    expected = backup.table_rows or {}
    mismatches = {
        table: {"expected": expected.get(table), "restored": table_rows.get(table)}
        for table in sorted(expected.keys() | table_rows.keys())
        if expected.get(table) != table_rows.get(table)
    }
    result: dict[str, Any] = {"tables": len(table_rows), "mismatches": mismatches}
    if version != backup.migration_version:
        result["migration_version"] = {"expected": backup.migration_version, "restored": version}
    return result


async def verify_backup(settings: Settings, backup: Backup) -> Backup:
    """Restore `backup` into a fresh scratch database, compare, record and drop it."""
    started = time.monotonic()
    async with connection(settings.database_url) as admin:
        scratch = scratch_name(await catalog.database_name(admin))
        outcome: dict[str, Any] = {"database": scratch}
        try:
            await catalog.create_database(admin, scratch)
            outcome |= await _restore_and_count(settings, backup, scratch)
        except (RestoreError, PgToolsError, S3Error, OSError) as exc:
            outcome["error"] = str(exc)
        finally:
            await catalog.drop_database(admin, scratch)
        outcome["seconds"] = round(time.monotonic() - started, 3)
        ok = not ({"error", "migration_version"} & outcome.keys() or outcome.get("mismatches"))
        backup = await backups_db.record_verification(
            admin, backup.id, verified=ok, verification=outcome
        )
    log.info("backup verified" if ok else "backup verification failed", **outcome)
    return backup


async def _restore_and_count(settings: Settings, backup: Backup, scratch: str) -> dict[str, Any]:
    url = pgtools.with_database(settings.database_url, scratch)
    # An uploaded backup is fetched back from S3: what is verified is what is stored.
    async with s3.local_copy(settings, backup.path) as local:
        tables = await restore.restore(
            url,
            local,
            pg_bin_dir=settings.pg_bin_dir,
            expected_sha256=backup.sha256,
            timeout_s=settings.backup_timeout_seconds,
        )
    async with connection(url) as conn:
        counts = await catalog.row_counts(conn)
        version = await current_version(conn)
    result = compare(backup, counts, version)
    result["restored_tables"] = tables
    return result
