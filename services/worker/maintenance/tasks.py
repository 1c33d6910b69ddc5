"""What a schedule event does: take and verify a backup, or apply retention."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from libs.common import scrape
from libs.common.db import backups as backups_db
from libs.common.db.backups import Backup
from libs.common.db.maintenance import Run
from libs.ops.backup import take_backup
from libs.ops.cleanup import run_cleanup
from libs.ops.verify import verify_backup
from services.worker.deps import Deps


class MaintenanceError(Exception):
    """The task ran and did not do its job; the run is recorded failed and retried."""


def _reusable(backup: Backup) -> bool:
    # A dump this run already made is kept, unless verification showed it is bad.
    return backup.status == "succeeded" and not (backup.verified_at and not backup.verified)


async def backup(deps: Deps, run: Run) -> dict[str, Any]:
    started = time.monotonic()
    async with deps.pool.acquire() as conn:
        done = [b for b in await backups_db.for_run(conn, run.id) if _reusable(b)]
    taken = (
        done[-1] if done else await take_backup(deps.settings, trigger="schedule", run_id=run.id)
    )
    if taken.status != "succeeded":
        raise MaintenanceError(f"backup failed: {taken.error}")
    if deps.settings.backup_verify and taken.verified_at is None:
        taken = await verify_backup(deps.settings, taken)
    deps.metrics.backup_duration.observe(time.monotonic() - started)
    await refresh_backup_metrics(deps)
    result = {
        "backup_id": str(taken.id),
        "path": taken.path,
        "size_bytes": taken.size_bytes,
        "sha256": taken.sha256,
        "verified": taken.verified,
    }
    if deps.settings.backup_verify and not taken.verified:
        raise MaintenanceError(f"backup {taken.id} did not verify: {taken.verification}")
    return result


async def cleanup(deps: Deps, run: Run) -> dict[str, Any]:
    report = await run_cleanup(deps.settings, deps.pool, deps.redis)
    for kind, count in report.removed.items():
        deps.metrics.cleanup_removed.labels(kind).inc(count)
    result: dict[str, Any] = msgspec.to_builtins(report)
    return result


async def refresh_backup_metrics(deps: Deps) -> None:
    """Export the newest successful backup now (every scrape reads it again, too)."""
    async with deps.pool.acquire() as conn:
        freshness = await backups_db.freshness(conn)
    scrape.set_backup_metrics(deps.metrics, freshness)
