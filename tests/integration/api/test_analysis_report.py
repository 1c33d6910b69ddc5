"""A report is stored once as JSON and served as stored: the worker encodes it, PostgreSQL
keeps it (jsonb), and GET /v1/analyses/{id} sends the stored text without decoding it.

Before, a report changed form six times on that way (struct -> dict -> JSON -> jsonb ->
dict -> struct -> JSON); now: struct -> JSON (worker) -> jsonb -> JSON (PostgreSQL's
`report::text`), sent as it is.
"""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from libs.analysis.report import REPORT_VERSION, AiResult, Recommendation, Report
from libs.common.db import analyses as analyses_db
from tests.conftest import Tenant
from tests.integration.api.conftest import Client


async def stored_analysis(client: Client, db: asyncpg.Connection, tenant: Tenant) -> uuid.UUID:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/acme/app"}, headers=tenant.headers
    )
    repo_id = uuid.UUID((await created.json())["id"])
    job = await (await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)).json()
    report = Report(
        ai=AiResult(status="ok", model="gemini-x", total_tokens=42),
        recommendations=[
            Recommendation(
                id="r1",
                title="Pin actions",
                category="security",
                severity="high",
                effort="low",
                priority=1,
                fix="Pin every action to a commit.",
            )
        ],
    )
    row = await analyses_db.store_analysis(
        db,
        tenant.organization_id,
        repository_id=repo_id,
        job_id=uuid.UUID(job["id"]),
        commit_sha="a" * 40,
        branch="main",
        content_digest="digest-1",
        report_version=REPORT_VERSION,
        report=msgspec.json.encode(report),
        health_score=70,
        ai_status="ok",
        ai_model="gemini-x",
    )
    return row.id


async def test_the_report_is_served_as_stored(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    analysis_id = await stored_analysis(client, db, tenant)
    response = await client.get(f"/v1/analyses/{analysis_id}", headers=tenant.headers)
    assert response.status == 200
    body = await response.read()
    stored = await db.fetchval("SELECT report::text FROM analyses WHERE id = $1", analysis_id)
    # The stored text, byte for byte: nothing decoded and encoded it again on the way.
    assert b'"report":' + stored.encode() + b"}" in body
    report = msgspec.json.decode(body, type=dict[str, msgspec.Raw])["report"]
    assert msgspec.json.decode(report, type=Report).ai.total_tokens == 42


async def test_the_ai_cache_reads_only_what_it_reuses(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    await stored_analysis(client, db, tenant)
    found = await analyses_db.find_by_digest(db, tenant.organization_id, "digest-1")
    assert found is not None
    assert msgspec.json.decode(found.ai, type=AiResult).total_tokens == 42
    [recommendation] = msgspec.json.decode(found.recommendations, type=list[Recommendation])
    assert recommendation.title == "Pin actions"
    assert await analyses_db.find_by_digest(db, tenant.organization_id, "other") is None
