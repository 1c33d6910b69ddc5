"""Retention cleanup: each kind of data goes when it should, and the report says so."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec
import pytest
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db import backups as backups_db
from libs.common.db import tokens
from libs.common.db.pool import create_pool
from libs.common.redis import keys
from libs.ops import files
from libs.ops.cleanup import run_cleanup
from tests.conftest import Tenant
from tests.integration.ops.seed import add_analysis, add_job, add_repository

DAY = dt.timedelta(days=1)
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def retention_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        retention_jobs_days=30,
        retention_analyses_per_repo=3,
        retention_webhook_deliveries_days=14,
        retention_tokens_days=30,
        backup_retention_days=2,
        backup_retention_weeks=1,
        backup_timeout_seconds=3600,
        event_retention_seconds=7 * 24 * 3600,
    )


@pytest.fixture
async def pool(retention_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(retention_settings, min_size=0, max_size=2)
    yield pool
    await pool.close()


async def seed_database(db: asyncpg.Connection, tenant: Tenant) -> dict[str, set[uuid.UUID]]:
    repo = await add_repository(db, tenant, "acme/app")
    kept_jobs = {
        await add_job(db, tenant, repo, finished_ago=5 * DAY),
        await add_job(db, tenant, repo, status="running"),
        await add_job(db, tenant, repo, status="failed", finished_ago=29 * DAY),
    }
    await add_job(db, tenant, repo, finished_ago=40 * DAY)
    await add_job(db, tenant, repo, status="failed", finished_ago=31 * DAY)
    main = [await add_analysis(db, tenant, repo, created_ago=n * DAY) for n in range(1, 7)]
    feature = await add_analysis(db, tenant, repo, branch="feature", created_ago=10 * DAY)
    detached = await add_analysis(db, tenant, repo, branch=None, created_ago=11 * DAY)
    for age in (20, 15, 13, 0):
        await db.execute(
            """
            INSERT INTO webhook_deliveries (delivery_id, event, received_at)
            VALUES ($1, 'push', now() - $2::interval)
            """,
            str(uuid.uuid4()),
            age * DAY,
        )
    live_tokens: set[uuid.UUID] = set()
    for name, revoked_ago, expires_in in [
        ("old-revoked", 40, None),
        ("new-revoked", 1, None),
        ("old-expired", None, -40),
        ("new-expired", None, -2),
        ("live", None, 10),
    ]:
        expires = NOW + expires_in * DAY if expires_in is not None else None
        _, info = await tokens.create_token(
            db, tenant.organization_id, tenant.user_id, name, expires_at=expires
        )
        if revoked_ago is not None:
            await db.execute(
                "UPDATE api_tokens SET revoked_at = now() - $2::interval WHERE id = $1",
                info.id,
                revoked_ago * DAY,
            )
        if name.startswith("new") or name == "live":
            live_tokens.add(info.id)
    live_sessions: set[uuid.UUID] = set()
    for revoked_ago, expires_in in [(40, 5), (1, 5), (None, -40), (None, -2), (None, 1)]:
        session_id = await db.fetchval(
            """
            INSERT INTO sessions (token_hash, user_id, organization_id, expires_at, revoked_at)
            VALUES ($1, $2, $3, now() + $4::interval, now() - $5::interval) RETURNING id
            """,
            os.urandom(32),
            tenant.user_id,
            tenant.organization_id,
            expires_in * DAY,
            revoked_ago * DAY if revoked_ago is not None else None,
        )
        if revoked_ago != 40 and expires_in != -40:
            live_sessions.add(session_id)
    return {
        "jobs": kept_jobs,
        "analyses": {*main[:3], feature, detached},
        "tokens": live_tokens,
        "sessions": live_sessions,
    }


async def add_backup(
    db: asyncpg.Connection, directory: Path, finished: dt.datetime, status: str = "succeeded"
) -> Path:
    path = directory / f"b-{finished:%Y%m%dT%H%M}-{status}.dump"
    path.write_bytes(b"PGDMP fake dump for retention")
    files.sidecar(path).write_text("x\n")
    await db.execute(
        """
        INSERT INTO backups (path, status, trigger, started_at, finished_at)
        VALUES ($1, $2, 'test', $3, $3)
        """,
        str(path),
        status,
        finished,
    )
    return path


async def seed_backups(db: asyncpg.Connection, settings: Settings) -> dict[str, set[Path]]:
    directory = files.backup_dir(settings)
    directory.mkdir(parents=True)
    today = NOW.replace(hour=2, minute=0, second=0, microsecond=0)
    # Keep 2 daily + 1 weekly: today's newest, yesterday's newest; the week's newest is
    # today's. Everything older goes, and so does a failed one past the daily window.
    keep = {await add_backup(db, directory, today + dt.timedelta(minutes=5))}
    gone = {await add_backup(db, directory, today)}
    keep.add(await add_backup(db, directory, today - DAY))
    for n in (2, 3, 9, 30):
        gone.add(await add_backup(db, directory, today - n * DAY))
    gone.add(await add_backup(db, directory, today - 5 * DAY, status="failed"))
    await db.execute(
        """
        INSERT INTO backups (path, status, trigger, started_at)
        VALUES ('/nowhere/interrupted.dump', 'running', 'test', now() - interval '3 hours')
        """
    )
    stale_partial = directory / "x.dump.partial"
    stale_partial.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale_partial, (old, old))
    return {"keep": keep, "gone": gone | {stale_partial}}


async def seed_redis(redis: Redis) -> None:
    old_ms = int(time.time() * 1000) - 8 * 24 * 3600 * 1000
    await redis.xadd(keys.job_events("old"), {"type": "progress"}, id=f"{old_ms}-0")
    await redis.xadd(keys.org_events("old-org"), {"type": "progress"}, id=f"{old_ms}-0")
    await redis.xadd(keys.job_events("recent"), {"type": "progress"})
    await redis.set(keys.oauth_state("leaked"), "x")
    await redis.set(keys.oauth_state("live"), "x", ex=600)


async def test_cleanup_applies_every_retention_rule_and_reports_it(
    retention_settings: Settings,
    pool: asyncpg.Pool,
    db: asyncpg.Connection,
    redis: Redis,
    tenant: Tenant,
) -> None:
    kept = await seed_database(db, tenant)
    dumps = await seed_backups(db, retention_settings)
    await seed_redis(redis)

    report = await run_cleanup(retention_settings, pool, redis)

    assert report.removed == {
        "finished_jobs": 2,
        "analyses": 3,
        "webhook_deliveries": 2,
        "api_tokens": 2,
        "sessions": 2,
        "maintenance_runs": 0,
        "event_streams": 2,
        "oauth_states": 1,
        "backups": 6,
    }
    assert sorted(report.backup_files) == sorted(
        str(p) for p in dumps["gone"] if p.suffix != ".partial"
    )
    assert {r["id"] for r in await db.fetch("SELECT id FROM jobs")} == kept["jobs"]
    assert {r["id"] for r in await db.fetch("SELECT id FROM analyses")} == kept["analyses"]
    assert {r["id"] for r in await db.fetch("SELECT id FROM api_tokens")} == kept["tokens"] | {
        # the tenant fixture's own token
        r["id"]
        for r in await db.fetch("SELECT id FROM api_tokens WHERE name = 'test'")
    }
    assert {r["id"] for r in await db.fetch("SELECT id FROM sessions")} == kept["sessions"]
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 2
    remaining = {Path(b.path) for b in await backups_db.list_all(db) if b.status == "succeeded"}
    assert remaining == dumps["keep"]
    assert all(p.is_file() and files.sidecar(p).is_file() for p in dumps["keep"])
    assert not any(p.exists() for p in dumps["gone"])
    interrupted = [b for b in await backups_db.list_all(db) if b.error == "interrupted"]
    assert [b.status for b in interrupted] == ["failed"]
    assert await redis.exists(keys.job_events("recent"), keys.oauth_state("live")) == 2
    assert await redis.exists(keys.job_events("old"), keys.oauth_state("leaked")) == 0

    again = await run_cleanup(retention_settings, pool, redis)
    assert set(again.removed.values()) == {0}
    assert again.backup_files == []
