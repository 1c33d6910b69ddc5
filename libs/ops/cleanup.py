"""Retention cleanup: remove what each kind of data has outlived, and say what went."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import asyncpg
import msgspec
import structlog
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import retention as retention_db
from libs.common.redis import keys
from libs.ops import files, retention, s3
from libs.ops.s3 import S3Error

log = structlog.get_logger(__name__)
_SCAN_COUNT = 500


class CleanupReport(msgspec.Struct, kw_only=True):
    """How many items of each kind were removed, and which backup files."""

    removed: dict[str, int] = {}
    backup_files: list[str] = []


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


async def run_cleanup(settings: Settings, pool: asyncpg.Pool, redis: Redis) -> CleanupReport:
    """Apply every retention rule once. Safe to run again: each rule is a plain delete."""
    report = CleanupReport(removed={})
    async with pool.acquire() as conn:
        removed = report.removed
        removed["finished_jobs"] = await retention_db.finished_jobs(
            conn, _days(settings.retention_jobs_days)
        )
        removed["analyses"] = await retention_db.surplus_analyses(
            conn, settings.retention_analyses_per_repo
        )
        removed["webhook_deliveries"] = await retention_db.webhook_deliveries(
            conn, _days(settings.retention_webhook_deliveries_days)
        )
        removed["api_tokens"] = await retention_db.dead_tokens(
            conn, _days(settings.retention_tokens_days)
        )
        removed["sessions"] = await retention_db.dead_sessions(
            conn, _days(settings.retention_tokens_days)
        )
        removed["maintenance_runs"] = await retention_db.maintenance_runs(
            conn, _days(settings.retention_maintenance_runs_days)
        )
    removed["event_streams"] = await stale_streams(redis, settings.event_retention_seconds)
    removed["oauth_states"] = await keys_without_ttl(redis, keys.OAUTH_STATE_MATCH)
    removed["backups"], report.backup_files = await prune_backups(settings, pool)
    log.info("cleanup finished", **removed)
    return report


async def stale_streams(redis: Redis, retention_s: int, *, now_ms: int | None = None) -> int:
    """Delete job and org event streams whose newest entry is older than `retention_s`."""
    cutoff = (now_ms or int(time.time() * 1000)) - retention_s * 1000
    removed = 0
    for pattern in (keys.JOB_EVENTS_MATCH, keys.ORG_EVENTS_MATCH):
        async for key in redis.scan_iter(match=pattern, count=_SCAN_COUNT, _type="stream"):
            newest = await redis.xrevrange(key, count=1)
            last_ms = int(newest[0][0].split(b"-")[0]) if newest else 0
            if last_ms < cutoff:
                removed += await redis.delete(key)
    return removed


async def keys_without_ttl(redis: Redis, pattern: str) -> int:
    """Delete keys under `pattern` that carry no expiry; such short-lived state is a leak."""
    removed = 0
    async for key in redis.scan_iter(match=pattern, count=_SCAN_COUNT):
        if await redis.ttl(key) == -1:
            removed += await redis.delete(key)
    return removed


async def prune_backups(settings: Settings, pool: asyncpg.Pool) -> tuple[int, list[str]]:
    """Apply the daily/weekly retention; how many backups were forgotten, and which files
    were deleted with them."""
    async with pool.acquire() as conn:
        await backups_db.mark_interrupted(
            conn, dt.timedelta(seconds=settings.backup_timeout_seconds)
        )
        rows = await backups_db.list_all(conn)
    succeeded = [b for b in rows if b.status == "succeeded"]
    keep = retention.to_keep(
        succeeded, daily=settings.backup_retention_days, weekly=settings.backup_retention_weeks
    )
    failed_before = dt.datetime.now(dt.UTC) - _days(settings.backup_retention_days)
    doomed = [
        b
        for b in rows
        if (b.status == "succeeded" and b.id not in keep)
        or (b.status == "failed" and b.started_at < failed_before)
    ]
    removed_paths = []
    forget = []
    target = s3.store(settings)
    for backup in doomed:
        # The file goes first: a row without a file is harmless, a file without a row leaks.
        try:
            if await _remove_dump(target, backup.path):
                removed_paths.append(backup.path)
        except S3Error as exc:
            # Kept on record, so the next cleanup tries the object again.
            log.warning("backup object not removed", path=backup.path, error=str(exc))
            continue
        forget.append(backup.id)
    async with pool.acquire() as conn:
        forgotten = await backups_db.delete(conn, forget)
    await asyncio.to_thread(_remove_stale_partials, settings)
    return forgotten, removed_paths


async def _remove_dump(target: s3.BackupStore | None, path: str) -> bool:
    if not s3.is_s3(path):
        return await asyncio.to_thread(files.remove, Path(path))
    if target is None:
        raise S3Error(f"{path} is in S3 but BACKUP_S3_URL is not set")
    await target.delete(path)
    return True


def _remove_stale_partials(settings: Settings) -> None:
    directory = files.backup_dir(settings)
    if not directory.is_dir():
        return
    cutoff = time.time() - settings.backup_timeout_seconds
    for partial in directory.glob("*" + files.PARTIAL_SUFFIX):
        if partial.stat().st_mtime < cutoff:
            partial.unlink(missing_ok=True)
