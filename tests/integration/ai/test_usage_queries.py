"""libs/common/db/ai_usage.py: quota, per-job and billing queries, always within one org."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from libs.common.db import ai_usage
from libs.common.schemas import Usage
from tests.conftest import Tenant


async def spend(
    db: asyncpg.Connection,
    tenant: Tenant,
    tokens: int,
    *,
    anonymous: bool = False,
    ago: dt.timedelta | None = None,
) -> None:
    await ai_usage.record(
        db,
        tenant.organization_id,
        user_id=None if anonymous else tenant.user_id,
        job_id=None,
        model="gemini-test",
        outcome="ok",
        usage=Usage(prompt=tokens // 2, output=tokens // 4, thinking=tokens // 4, total=tokens),
    )
    if ago is not None:
        await db.execute(
            "UPDATE ai_usage SET created_at = now() - $1::interval"
            " WHERE id = (SELECT max(id) FROM ai_usage)",
            ago,
        )


async def test_today_counts_a_users_tokens_in_every_org_since_utc_midnight(
    db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    await spend(db, tenant, 100)
    await spend(db, tenant, 40, ago=dt.timedelta(days=2))
    await spend(db, other_tenant, 999)
    await spend(db, tenant, 7, anonymous=True)  # a webhook job: nobody requested it
    assert await ai_usage.tokens_today(db, tenant.organization_id, tenant.user_id) == 100
    assert await ai_usage.tokens_today(db, tenant.organization_id, None) == 7
    # The quota is the user's: what they spend in another organization counts too, so a
    # new organization brings no fresh quota.
    elsewhere = Tenant(tenant.user_id, other_tenant.organization_id, tenant.token)
    await spend(db, elsewhere, 30)
    for org in (tenant.organization_id, other_tenant.organization_id):
        assert await ai_usage.tokens_today(db, org, tenant.user_id) == 130
    assert await ai_usage.tokens_today(db, other_tenant.organization_id, None) == 0
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = midnight + dt.timedelta(days=1, minutes=1)
    assert await ai_usage.tokens_today(db, tenant.organization_id, tenant.user_id, at=tomorrow) == 0


async def test_summary_for_the_usage_endpoint(db: asyncpg.Connection, tenant: Tenant) -> None:
    now = dt.datetime.now(dt.UTC)
    await spend(db, tenant, 100)
    await spend(db, tenant, 50)
    summary = await ai_usage.summary(db, tenant.organization_id, tenant.user_id)
    assert summary.tokens_today == 150
    assert summary.calls_today == 2
    assert summary.tokens_this_month == 150
    # Seen from the first day of next month, nothing was spent "this month".
    next_month = (now.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=12)
    later = await ai_usage.summary(db, tenant.organization_id, tenant.user_id, at=next_month)
    assert later.tokens_this_month == 0


async def test_top_users_of_the_last_day(
    db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    await spend(db, tenant, 100)
    await spend(db, tenant, 100)
    await spend(db, tenant, 500, anonymous=True)
    await spend(db, tenant, 10_000, ago=dt.timedelta(hours=25))
    await spend(db, other_tenant, 50_000)
    top = await ai_usage.top_users(db, tenant.organization_id)
    assert [(t.login, t.total_tokens, t.calls) for t in top] == [(None, 500, 1), ("alice", 200, 2)]


async def test_job_usage_counts_every_call(db: asyncpg.Connection, tenant: Tenant) -> None:
    job_id = await db.fetchval(
        "INSERT INTO jobs (organization_id, kind, trigger, dedup_key)"
        " VALUES ($1, 'analysis', 'api', 'k') RETURNING id",
        tenant.organization_id,
    )
    for outcome, total in (("rate_limited", 0), ("ok", 1234)):
        await ai_usage.record(
            db,
            tenant.organization_id,
            user_id=tenant.user_id,
            job_id=job_id,
            model="m",
            outcome=outcome,
            usage=Usage(total=total),
        )
    usage = await ai_usage.job_usage(db, tenant.organization_id, job_id)
    assert usage == ai_usage.JobUsage(calls=2, tokens=1234)
    assert await ai_usage.job_usage(db, uuid.uuid4(), job_id) == ai_usage.JobUsage(
        calls=0, tokens=0
    )


async def test_reservations_count_until_settled_or_stale(
    db: asyncpg.Connection, tenant: Tenant
) -> None:
    org, user = tenant.organization_id, tenant.user_id
    live = await ai_usage.reserve(db, org, user_id=user, job_id=None, model="m", tokens=500)
    stale = await ai_usage.reserve(db, org, user_id=user, job_id=None, model="m", tokens=700)
    await db.execute(
        "UPDATE ai_usage SET created_at = now() - interval '2 hours' WHERE id = $1", stale
    )
    assert await ai_usage.tokens_today(db, org, user) == 500
    await ai_usage.settle(db, org, live, outcome="ok", usage=Usage(prompt=10, output=5, total=15))
    assert await ai_usage.tokens_today(db, org, user) == 15
