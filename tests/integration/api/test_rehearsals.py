"""Rehearsals uploaded from a user's machine: stored per CI configuration and exact
workflow text, tenant-filtered, bounded, and shown on the dashboard's CI page; the
command that rehearses and uploads, end to end against the api."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from libs.common.db import analyses as analyses_db
from libs.common.db import jobs as jobs_db
from libs.common.db.analyses import CiConfigRow
from libs.common.rehearsal import MAX_JOBS, MAX_OUTPUT_TAIL, workflow_digest
from libs.common.schemas import Repository
from tests.conftest import Tenant
from tests.integration.api.conftest import Client
from tests.integration.api.test_dashboard import XSS, add_analysis, add_repo, report, sign_in

WORKFLOW = """name: CI
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - name: Greet
        run: echo hello
      - name: Broken
        run: exit 3
      - name: Deploy
        run: echo "${{ secrets.DEPLOY_KEY }}"
        if: always()
"""


async def generated(
    db: asyncpg.Connection, tenant: Tenant, name: str
) -> tuple[Repository, CiConfigRow]:
    repo = await add_repo(db, tenant, name)
    await add_analysis(db, tenant, repo, 61, report(61))
    analysis = (await analyses_db.list_analyses(db, tenant.organization_id, repo.id)).items[0]
    job, _ = await jobs_db.insert_job(
        db, tenant.organization_id, kind="ci_generation", dedup_key=uuid.uuid4().hex, trigger="api"
    )
    config = await analyses_db.store_ci_config(
        db,
        tenant.organization_id,
        analysis_id=analysis.id,
        job_id=job.id,
        platform="github",
        path=".github/workflows/ci.yml",
        content=WORKFLOW,
        valid=True,
        validation={},
        score_before=61,
        score_after=80,
    )
    return repo, config


def upload_body(config: CiConfigRow, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ci_config_id": str(config.id),
        "workflow_sha256": workflow_digest(config.content),
        "commit": "ab" * 20,
        "report": {
            "workflow": ".github/workflows/ci.yml",
            "root": "/src/app",
            "event": "push",
            "jobs": [
                {
                    "id": "test",
                    "name": f"Test {XSS}",
                    "status": "failed",
                    "steps": [
                        {"name": "Greet", "status": "passed", "kind": "run", "exit_code": 0},
                        {
                            "name": "Broken",
                            "status": "failed",
                            "kind": "run",
                            "reason": "exit code 3",
                            "exit_code": 3,
                            "output_tail": f"boom {XSS}",
                        },
                        {
                            "name": "Deploy",
                            "status": "not_rehearsed",
                            "kind": "run",
                            "reason": "needs secrets.DEPLOY_KEY",
                        },
                    ],
                },
                {
                    "id": "docker",
                    "name": "Docker",
                    "status": "not_rehearsed",
                    "reason": "a container: job is not rehearsed",
                },
            ],
        },
    }
    return body | changes


async def test_an_uploaded_rehearsal_is_stored_and_shown_on_the_ci_page(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    repo, config = await generated(db, tenant, "team/rehearsed")
    await sign_in(client, tenant.token)
    before = await (await client.get(f"/dashboard/repos/{repo.id}/ci")).text()
    assert "Not rehearsed yet" in before
    assert f"autodevops ci rehearse . --upload --repo {repo.id}" in before

    stored = await client.post(
        f"/v1/repos/{repo.id}/ci/rehearsals", json=upload_body(config), headers=tenant.headers
    )
    assert stored.status == 201, await stored.text()
    view = await stored.json()
    assert (view["outcome"], view["ci_config_id"], view["commit_sha"]) == (
        "failed",
        str(config.id),
        "ab" * 20,
    )
    page = await (await client.get(f"/dashboard/repos/{repo.id}/ci")).text()
    assert "Not rehearsed yet" not in page
    assert '<strong id="rehearsal-1" class="rehearsal-failed">failed</strong>' in page
    assert "at commit <code>abababababab</code>" in page
    assert "exit code 3" in page
    assert "needs secrets.DEPLOY_KEY" in page
    assert '<td class="rehearsal-not_rehearsed">not rehearsed</td>' in page
    assert "a container: job is not rehearsed" in page
    assert XSS not in page  # job names and output are the repository's text
    assert "boom &lt;script&gt;" in page


async def test_a_rehearsal_of_another_text_another_repository_or_tenant_is_refused(
    client: Client, tenant: Tenant, other_tenant: Tenant, db: asyncpg.Connection
) -> None:
    repo, config = await generated(db, tenant, "team/one")
    other_repo, other_config = await generated(db, tenant, "team/two")
    theirs, their_config = await generated(db, other_tenant, "them/three")
    url = f"/v1/repos/{repo.id}/ci/rehearsals"

    stale = await client.post(
        url, json=upload_body(config, workflow_sha256="0" * 64), headers=tenant.headers
    )
    assert stale.status == 409
    problem = await stale.json()
    assert problem["type"].endswith("/rehearsed-workflow-differs")
    assert f"--upload --repo {repo.id}" in problem["detail"]
    # A configuration of another repository, or of another organization, names nothing here.
    for foreign in (other_config, their_config):
        refused = await client.post(url, json=upload_body(foreign), headers=tenant.headers)
        assert refused.status == 404
    into_theirs = await client.post(
        f"/v1/repos/{theirs.id}/ci/rehearsals", json=upload_body(config), headers=tenant.headers
    )
    assert into_theirs.status == 404
    assert other_repo.id != repo.id
    rows = await db.fetchval("SELECT count(*) FROM ci_rehearsals")
    assert rows == 0


async def test_an_upload_is_validated_and_bounded(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    repo, config = await generated(db, tenant, "team/bounded")
    url = f"/v1/repos/{repo.id}/ci/rehearsals"

    def step(**fields: Any) -> dict[str, Any]:
        body = upload_body(config)
        body["report"]["jobs"][0]["steps"][1].update(fields)
        return body

    full = upload_body(config)["report"]
    too_many = full | {"jobs": [full["jobs"][1]] * (MAX_JOBS + 1)}
    cases: list[tuple[dict[str, Any], str]] = [
        (upload_body(config, extra=1), "extra"),
        (upload_body(config, commit="not-a-sha"), "commit"),
        (
            upload_body(config, report=too_many),
            "report.jobs",
        ),
        (step(output_tail="x" * (MAX_OUTPUT_TAIL + 1)), "report.jobs[0].steps[1].output_tail"),
        (step(status="exploded"), "report.jobs[0].steps[1].status"),
        (step(exit_code=10**6), "report.jobs[0].steps[1].exit_code"),
    ]
    for sent, field in cases:
        refused = await client.post(url, json=sent, headers=tenant.headers)
        assert refused.status == 400, field
        assert (await refused.json())["errors"][0]["field"] == field
    huge = await client.post(
        url,
        data=io.BytesIO(b'{"x": "' + b"x" * (2 * 1024 * 1024) + b'"}'),
        headers=tenant.headers | {"Content-Type": "application/json"},
    )
    assert huge.status == 413


async def test_the_command_rehearses_the_generated_ci_and_uploads_its_report(
    client: Client, tenant: Tenant, db: asyncpg.Connection, tmp_path: Path
) -> None:
    repo, _ = await generated(db, tenant, "team/cli")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "README.md").write_text("hello\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTODEVOPS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "ci",
        "rehearse",
        str(checkout),
        "--upload",
        "--repo",
        str(repo.id),
        "--url",
        str(client.make_url("")).rstrip("/"),
        "--quiet",
        env=env | {"AUTODEVOPS_TOKEN": tenant.token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 1, err.decode()  # a step failed: the rehearsal's own verdict
    assert "uploaded: failed" in err.decode()
    assert "Broken" in out.decode()
    row = await db.fetchrow("SELECT outcome, commit_sha, report FROM ci_rehearsals")
    assert row is not None
    assert row["outcome"] == "failed"
    assert row["commit_sha"] is None  # not a git work tree
    steps = {s["name"]: s for s in row["report"]["jobs"][0]["steps"]}
    assert steps["Greet"]["status"] == "passed"
    assert (steps["Broken"]["status"], steps["Broken"]["exit_code"]) == ("failed", 3)
    assert steps["Deploy"]["status"] == "not_rehearsed"
    await sign_in(client, tenant.token)
    page = await (await client.get(f"/dashboard/repos/{repo.id}/ci")).text()
    assert '<strong id="rehearsal-1" class="rehearsal-failed">failed</strong>' in page


async def test_the_command_says_why_when_there_is_nothing_to_rehearse(
    client: Client, tenant: Tenant, db: asyncpg.Connection, tmp_path: Path
) -> None:
    repo = await add_repo(db, tenant, "team/unanalysed")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "ci",
        "rehearse",
        str(tmp_path),
        "--upload",
        "--repo",
        str(repo.id),
        "--url",
        str(client.make_url("")).rstrip("/"),
        "--token",
        tenant.token,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    assert f"repository {repo.id} has no analysis yet" in err.decode()


async def test_a_rehearsal_as_of_a_date_is_labelled_so_on_the_ci_page(
    client: Client, tenant: Tenant, db: asyncpg.Connection
) -> None:
    repo, config = await generated(db, tenant, "team/dated")
    await sign_in(client, tenant.token)
    body = upload_body(config)
    body["report"] |= {"as_of": "2025-08-24T07:06:35Z", "as_of_origin": "committer date of ab"}
    body["report"]["jobs"][0]["steps"][0]["dating"] = "pip 26.0.1 dated (PIP_UPLOADED_PRIOR_TO)"
    stored = await client.post(
        f"/v1/repos/{repo.id}/ci/rehearsals", json=body, headers=tenant.headers
    )
    assert stored.status == 201, await stored.text()
    page = await (await client.get(f"/dashboard/repos/{repo.id}/ci")).text()
    assert "<strong>As of 2025-08-24T07:06:35Z</strong> (committer date of ab)" in page
    assert "resolution: pip 26.0.1 dated (PIP_UPLOADED_PRIOR_TO)" in page
