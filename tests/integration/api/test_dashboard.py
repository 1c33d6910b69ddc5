"""The dashboard's pages against real PostgreSQL and Redis: sign-in, CSRF, tenancy,
escaping, and the figures each page shows."""

from __future__ import annotations

import html
import re
import uuid

import asyncpg
import msgspec

from libs.analysis.report import (
    Check,
    Recommendation,
    Report,
    Score,
    SecretFinding,
    SecretsResult,
)
from libs.common.db import analyses as analyses_db
from libs.common.db import jobs as jobs_db
from libs.common.db import repos as repos_db
from libs.common.db import score_history
from libs.common.schemas import Repository
from tests.conftest import Tenant, make_tenant
from tests.integration.api.conftest import Client

XSS = "<script>alert(1)</script>"


async def add_repo(db: asyncpg.Connection, tenant: Tenant, name: str) -> Repository:
    repo, _ = await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="git",
        full_name=name,
        clone_url=f"https://git.example.com/{uuid.uuid4().hex}.git",
        created_by=tenant.user_id,
    )
    return repo


async def add_analysis(
    db: asyncpg.Connection, tenant: Tenant, repo: Repository, score: int, report: Report
) -> None:
    job, _ = await jobs_db.insert_job(
        db,
        tenant.organization_id,
        kind="analysis",
        dedup_key=uuid.uuid4().hex,
        trigger="api",
        repository_id=repo.id,
    )
    row = await analyses_db.store_analysis(
        db,
        tenant.organization_id,
        repository_id=repo.id,
        job_id=job.id,
        commit_sha=f"{score:02d}".ljust(40, "a"),
        branch="main",
        content_digest=uuid.uuid4().hex,
        report_version=report.version,
        report=msgspec.json.encode(report),
        health_score=score,
        ai_status="off",
        ai_model=None,
    )
    # What the analysis job records beside it (the API's /v1/repos/{id}/history).
    await score_history.record(
        db,
        tenant.organization_id,
        repo.id,
        analysis_id=row.id,
        commit_sha=row.commit_sha,
        branch="main",
        pull_request=None,
        score=score,
        band=report.score.band,
        categories={},
        critical=[],
    )


def report(score: int, band: str = "fair", *, finding: str = "token") -> Report:
    return Report(
        score=Score(overall=score, band=band),  # type: ignore[arg-type]
        checks=[
            Check(
                id="readme",
                category="documentation",
                status="fail",
                weight=5,
                message=f"no readme {XSS}",
            )
        ],
        secrets=SecretsResult(
            findings=[
                SecretFinding(
                    rule="aws", description=finding, path="a.py", line=3, preview="AKIA****"
                )
            ]
        ),
        recommendations=[
            Recommendation(
                id="r1",
                title=f"AI says {XSS}",
                category="security",
                severity="high",
                effort="low",
                priority=1,
                fix="rotate",
                source="ai",
            ),
        ],
    )


def origin(client: Client) -> dict[str, str]:
    """What a browser sends with a form from our own page."""
    return {"Origin": str(client.make_url("")).rstrip("/")}


async def sign_in(client: Client, token: str) -> None:
    done = await client.post(
        "/dashboard/signin",
        data={"token": token, "next": "/dashboard"},
        headers=origin(client),
        allow_redirects=False,
    )
    assert done.status == 303, await done.text()
    assert done.headers["Location"] == "/dashboard"
    cookie = done.cookies["ado_session"]
    assert cookie["httponly"] is True
    assert not cookie["secure"]  # plain http on loopback; Secure over TLS


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found is not None
    return found.group(1)


async def test_pages_need_a_session_and_a_token_signs_in(client: Client, tenant: Tenant) -> None:
    first = await client.get("/dashboard", allow_redirects=False)
    assert first.status == 303
    assert first.headers["Location"] == "/dashboard/signin?next=/dashboard"
    wrong = await client.post(
        "/dashboard/signin",
        data={"token": "ado_nope"},
        headers=origin(client),
    )
    assert wrong.status == 401
    assert "unknown" in await wrong.text()
    await sign_in(client, tenant.token)
    page = await client.get("/dashboard")
    assert page.status == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    body = await page.text()
    assert "<script>" not in body.replace('<script src="/dashboard/static/dashboard.js', "")
    signout = await client.post(
        "/dashboard/signout",
        data={"csrf": csrf_of(body)},
        headers=origin(client),
        allow_redirects=False,
    )
    assert signout.status == 303
    again = await client.get("/dashboard", allow_redirects=False)
    assert again.status == 303


async def test_forms_refuse_cross_site_posts_and_missing_tokens(
    client: Client, tenant: Tenant
) -> None:
    await sign_in(client, tenant.token)
    body = {"kind": "url", "location": "https://github.com/a/b"}
    cross = await client.post(
        "/dashboard/repos", data=body, headers={"Origin": "https://evil.example"}
    )
    assert cross.status == 403
    no_token = await client.post("/dashboard/repos", data=body, headers=origin(client))
    assert no_token.status == 403
    assert "token is missing" in await no_token.text()


async def test_overview_escapes_and_counts(
    client: Client, tenant: Tenant, other_tenant: Tenant, db: asyncpg.Connection
) -> None:
    evil = await add_repo(db, tenant, f"evil/{XSS}")
    for score in (40, 55, 82):
        await add_analysis(db, tenant, evil, score, report(score, "good"))
    plain = await add_repo(db, tenant, "team/plain")
    theirs = await add_repo(db, other_tenant, "mallory/secret")
    await sign_in(client, tenant.token)

    body = await (await client.get("/dashboard?sort=-score")).text()
    assert XSS not in body
    assert "evil/&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert body.index("evil/") < body.index("team/plain")  # analysed first
    assert "Scores of the last 3 analyses: 40, 55, 82" in body
    assert "2 high" in body  # the secret and the AI recommendation
    assert "mallory" not in body
    filtered = await (await client.get("/dashboard?band=good")).text()
    assert "evil/" in filtered
    assert "team/plain" not in filtered
    assert (await client.get("/dashboard?sort=nonsense")).status == 400

    repo_page = await client.get(f"/dashboard/repos/{evil.id}")
    text = await repo_page.text()
    assert XSS not in text
    assert "AI-generated" in text
    assert "AKIA****" in text
    assert "Score 55 → 82" in text
    assert text.count('class="point"') == 3  # the history chart: a point per analysis
    assert (await client.get(f"/dashboard/repos/{plain.id}")).status == 200
    # Another organization's repository does not exist here.
    assert (await client.get(f"/dashboard/repos/{theirs.id}")).status == 404
    assert (await client.get(f"/dashboard/repos/{theirs.id}/ci")).status == 404


async def test_register_and_delete(client: Client, tenant: Tenant) -> None:
    await sign_in(client, tenant.token)
    csrf = csrf_of(await (await client.get("/dashboard")).text())
    made = await client.post(
        "/dashboard/repos",
        data={"csrf": csrf, "kind": "url", "location": "https://github.com/octo/hello"},
        headers=origin(client),
        allow_redirects=False,
    )
    assert made.status == 303, await made.text()
    location = made.headers["Location"]
    assert (await client.get(location)).status == 200
    bad = await client.post(
        "/dashboard/repos",
        data={"csrf": csrf, "kind": "url", "location": "ftp://x"},
        headers=origin(client),
    )
    assert bad.status == 400
    unconfirmed = await client.post(
        f"{location}/delete", data={"csrf": csrf, "confirm": "wrong"}, headers=origin(client)
    )
    assert unconfirmed.status == 400, await unconfirmed.text()
    deleted = await client.post(
        f"{location}/delete",
        data={"csrf": csrf, "confirm": "octo/hello"},
        headers=origin(client),
        allow_redirects=False,
    )
    assert deleted.status == 303
    assert (await client.get(location)).status == 404


async def test_jobs_usage_and_static(client: Client, tenant: Tenant) -> None:
    await sign_in(client, tenant.token)
    jobs = await client.get("/dashboard/jobs")
    assert jobs.status == 200
    assert 'data-stream="/v1/events"' in await jobs.text()
    usage = await (await client.get("/dashboard/usage")).text()
    assert "Daily quota" in usage
    script = await client.get("/dashboard/static/dashboard.js")
    assert script.status == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert (await client.get("/dashboard/static/nope.js")).status == 404


async def test_switching_organization_and_an_operators_usage_page(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    operator = await make_tenant(db, "alice", "default")  # alice, now in a second org
    await sign_in(client, tenant.token)
    page = await (await client.get("/dashboard/usage")).text()
    assert "Top AI users" not in page  # alice-org is not the operators' organization
    switched = await client.post(
        "/dashboard/org",
        data={"csrf": csrf_of(page), "organization_id": str(operator.organization_id)},
        headers=origin(client),
        allow_redirects=False,
    )
    assert switched.status == 303
    usage = await (await client.get("/dashboard/usage")).text()
    assert "Top AI users" in usage
    assert "ci_generation" in usage  # the queue depths
    # The old session ended with the switch; an organization not theirs is a 404.
    stranger = await make_tenant(db, "mallory", "mallory-org")
    csrf = csrf_of(usage)
    refused = await client.post(
        "/dashboard/org",
        data={"csrf": csrf, "organization_id": str(stranger.organization_id)},
        headers=origin(client),
    )
    assert refused.status == 404


async def test_analyse_now_and_the_ci_page(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    repo = await add_repo(db, tenant, "team/service")
    await add_analysis(db, tenant, repo, 61, report(61))
    analysis = (await analyses_db.list_analyses(db, tenant.organization_id, repo.id)).items[0]
    job, _ = await jobs_db.insert_job(
        db, tenant.organization_id, kind="ci_generation", dedup_key="ci-1", trigger="api"
    )
    await analyses_db.store_ci_config(
        db,
        tenant.organization_id,
        analysis_id=analysis.id,
        job_id=job.id,
        platform="github",
        path=".github/workflows/ci.yml",
        content=f"name: CI\njobs:\n  test:\n    runs-on: ubuntu-24.04  # {XSS}\n",
        valid=True,
        validation={
            "existing": {"path": ".github/workflows/ci.yml", "content": "name: old\n"},
            "explanation": ["Runs the tests"],
        },
        score_before=61,
        score_after=80,
    )
    await sign_in(client, tenant.token)
    ci = await (await client.get(f"/dashboard/repos/{repo.id}/ci")).text()
    assert XSS not in ci
    assert "61 → <strong>80</strong>" in ci
    assert '<span class="d-del">-name: old</span>' in ci
    assert "Pull requests are opened for valid workflows of GitHub repositories." in ci

    csrf = csrf_of(ci)
    analysed = await client.post(
        f"/dashboard/repos/{repo.id}/analyse",
        data={"csrf": csrf},
        headers=origin(client),
        allow_redirects=False,
    )
    assert analysed.status == 303
    assert re.fullmatch(
        rf"/dashboard/repos/{repo.id}\?after=\d+-\d+#progress", analysed.headers["Location"]
    )
    queued = (await jobs_db.list_jobs(db, tenant.organization_id, repository_id=repo.id)).items
    assert [j.kind for j in queued].count("sync") == 1
    refused = await client.post(
        f"/dashboard/repos/{repo.id}/pull-request",
        data={"csrf": csrf, "commit": analysis.commit_sha},
        headers=origin(client),
    )
    assert refused.status == 400
    assert "GitHub repositories only" in await refused.text()


async def test_the_jobs_page_filters_and_pages(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    for i in range(101):
        await jobs_db.insert_job(
            db, tenant.organization_id, kind="sync", dedup_key=f"page-{i}", trigger="api"
        )
    await sign_in(client, tenant.token)
    first = await (await client.get("/dashboard/jobs")).text()
    assert first.count('class="job-status"') == 100
    assert 'data-stream="/v1/events"' in first
    older = re.search(r'href="\?([^"]+)">Older jobs', first)
    assert older is not None
    second = await (await client.get(f"/dashboard/jobs?{html.unescape(older.group(1))}")).text()
    assert second.count('class="job-status"') == 1
    assert 'data-stream="/v1/events"' not in second  # only the newest page is live
    failed = await (await client.get("/dashboard/jobs?status=failed")).text()
    assert "No job matches." in failed
    assert (await client.get("/dashboard/jobs?status=bogus")).status == 400
    assert (await client.get("/dashboard/jobs?cursor=nonsense")).status == 400


async def test_cancelling_a_queued_job_from_the_jobs_page(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    job, _ = await jobs_db.insert_job(
        db, tenant.organization_id, kind="sync", dedup_key="to-cancel", trigger="api"
    )
    await sign_in(client, tenant.token)
    page = await (await client.get("/dashboard/jobs")).text()
    assert f'action="/dashboard/jobs/{job.id}/cancel"' in page
    done = await client.post(
        f"/dashboard/jobs/{job.id}/cancel",
        data={"csrf": csrf_of(page)},
        headers=origin(client),
        allow_redirects=False,
    )
    assert done.status == 303
    found = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert found is not None
    assert found.status == "cancelled"
    after = await (await client.get("/dashboard/jobs")).text()
    assert f'action="/dashboard/jobs/{job.id}/cancel"' not in after
