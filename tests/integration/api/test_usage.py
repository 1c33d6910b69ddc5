"""AI usage, the quota gate on analyses, and the operators' billing-spike view."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import msgspec

from libs.common.config import SecretStr, Settings
from libs.common.db import ai_usage, tokens
from libs.common.schemas import Usage
from services.api.app import create_app
from tests.conftest import Tenant, make_tenant
from tests.integration.api.conftest import Client, ClientFactory


async def spend(
    db: asyncpg.Connection, who: Tenant, tokens: int, at: dt.datetime | None = None
) -> None:
    await ai_usage.record(
        db,
        who.organization_id,
        user_id=who.user_id,
        job_id=None,
        model="gemini-2.5-flash",
        outcome="ok",
        usage=Usage(prompt=tokens // 2, output=tokens - tokens // 2, total=tokens),
    )
    if at is not None:
        await db.execute(
            "UPDATE ai_usage SET created_at = $1 WHERE id = (SELECT max(id) FROM ai_usage)", at
        )


async def test_usage_today_and_this_month(
    client: Client, db: asyncpg.Connection, settings: Settings, tenant: Tenant, other_tenant: Tenant
) -> None:
    now = dt.datetime.now(dt.UTC)
    month_start = now.replace(day=1, hour=0, minute=1, second=0, microsecond=0)
    await spend(db, tenant, 1000)
    await spend(db, tenant, 300, at=month_start)
    await spend(db, tenant, 5000, at=month_start - dt.timedelta(days=2))  # last month
    await spend(db, other_tenant, 7000)  # someone else
    body = await (await client.get("/v1/usage", headers=tenant.headers)).json()
    today = 1000 + (300 if month_start.date() == now.date() else 0)
    assert body["tokens_today"] == today
    assert body["tokens_this_month"] == 1300
    assert body["daily_quota"] == settings.ai_daily_quota_per_user
    assert body["remaining_today"] == settings.ai_daily_quota_per_user - today
    assert body["ai_enabled"] is False
    resets = dt.datetime.fromisoformat(body["resets_at"])
    assert (resets.hour, resets.minute) == (0, 0)
    assert dt.timedelta(0) < resets - now <= dt.timedelta(days=1)


async def repo_with_commit(client: Client, db: asyncpg.Connection, tenant: Tenant) -> str:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/team/app"}, headers=tenant.headers
    )
    repo_id: str = (await created.json())["id"]
    await db.execute(
        "UPDATE repositories SET last_commit = $2, default_branch = 'main' WHERE id = $1",
        uuid.UUID(repo_id),
        "c" * 40,
    )
    return repo_id


async def test_analyze_starts_one_job_per_commit(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/team/fresh"}, headers=tenant.headers
    )
    fresh = (await created.json())["id"]
    unsynced = await client.post(f"/v1/repos/{fresh}/analyze", headers=tenant.headers)
    assert unsynced.status == 409
    assert (await unsynced.json())["type"] == "/problems/repository-not-synced"

    repo_id = await repo_with_commit(client, db, tenant)
    first = await client.post(f"/v1/repos/{repo_id}/analyze", headers=tenant.headers)
    again = await client.post(f"/v1/repos/{repo_id}/analyze", headers=tenant.headers)
    assert first.status == again.status == 202
    job = await first.json()
    assert (await again.json())["id"] == job["id"]
    assert (job["kind"], job["commit_sha"]) == ("analysis", "c" * 40)
    row = await db.fetchrow(
        "SELECT params, requested_by FROM jobs WHERE id = $1", uuid.UUID(job["id"])
    )
    assert row is not None
    assert row["params"] == {"branch": "main", "platform": "github", "open_pull_request": False}
    assert row["requested_by"] == tenant.user_id
    named = await client.post(
        f"/v1/repos/{repo_id}/analyze",
        json={"commit": "d" * 40, "branch": "topic"},
        headers=tenant.headers,
    )
    assert (await named.json())["commit_sha"] == "d" * 40
    bad = await client.post(
        f"/v1/repos/{repo_id}/analyze", json={"commit": "HEAD"}, headers=tenant.headers
    )
    assert bad.status == 400
    assert (await bad.json())["errors"][0]["field"] == "commit"


async def test_a_spent_quota_never_refuses_an_analysis(
    aiohttp_client: ClientFactory, settings: Settings, db: asyncpg.Connection, tenant: Tenant
) -> None:
    # The analysis runs without the AI step and says so (`ai_status: quota_exceeded`, see
    # tests/integration/worker/test_pipeline.py): the request itself is accepted.
    small = msgspec.structs.replace(settings, ai_daily_quota_per_user=500)
    with_ai = msgspec.structs.replace(small, gemini_api_key=SecretStr("test-key"))
    on: Client = await aiohttp_client(create_app(with_ai))
    repo_id = await repo_with_commit(on, db, tenant)
    await spend(db, tenant, 500)
    accepted = await on.post(f"/v1/repos/{repo_id}/analyze", headers=tenant.headers)
    assert accepted.status == 202
    assert (await accepted.json())["status"] == "queued"
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE kind = 'analysis'") == 1
    usage = await (await on.get("/v1/usage", headers=tenant.headers)).json()
    assert (usage["ai_enabled"], usage["remaining_today"]) == (True, 0)
    # A new organization brings no fresh quota: it is the user's.
    made = await on.post("/v1/orgs", json={"slug": "fresh", "name": "F"}, headers=tenant.headers)
    fresh_org = uuid.UUID((await made.json())["id"])
    token, _ = await tokens.create_token(db, fresh_org, tenant.user_id, "t")
    fresh = Tenant(tenant.user_id, fresh_org, token)
    there = await (await on.get("/v1/usage", headers=fresh.headers)).json()
    # Nothing spent in this organization, but the day's quota is used up elsewhere.
    assert (there["tokens_today"], there["quota_used_today"]) == (0, 500)
    assert there["remaining_today"] == 0


async def test_operators_see_the_top_ai_users_across_organizations(
    client: Client, db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    operator = await make_tenant(db, "root", "default")
    await spend(db, tenant, 100)
    await spend(db, other_tenant, 900)
    await spend(db, other_tenant, 50)
    await spend(db, tenant, 10_000, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=30))
    response = await client.get("/v1/admin/ai-usage/top", headers=operator.headers)
    assert response.status == 200
    body = await response.json()
    assert body["hours"] == 24
    assert [(u["login"], u["total_tokens"], u["calls"]) for u in body["items"]] == [
        ("mallory", 950, 2),
        ("alice", 100, 1),
    ]
    wider = await client.get("/v1/admin/ai-usage/top?hours=48&limit=1", headers=operator.headers)
    assert [u["login"] for u in (await wider.json())["items"]] == ["alice"]
    for query in ("hours=0", "limit=1000", "hours=many"):
        bad = await client.get(f"/v1/admin/ai-usage/top?{query}", headers=operator.headers)
        assert bad.status == 400, query
    assert (await client.get("/v1/admin/ai-usage/top", headers=tenant.headers)).status == 403
