"""The job pipeline through real arq workers: sync → analysis (Gemini) → CI generation → PR.

GitHub and Gemini are the local fakes speaking their wire protocols; everything else is
real: PostgreSQL, Redis, the workers, the analysis and the CI generation.
"""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest

from libs.ai.config import max_calls_per_job
from libs.common import crypto, jobs
from libs.common.config import SecretStr, Settings
from libs.common.db import jobs as jobs_db
from libs.common.db import repos as repos_db
from libs.common.redis import events, keys, streams
from libs.common.schemas import Job, JobKind, Repository
from libs.github.tarball import ExtractStats, safe_extract
from services.worker import fetch
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps
from tests.conftest import Tenant
from tests.fakes.gemini import FakeGemini, Reply
from tests.fakes.github import FakeGitHub
from tests.helpers import github_repository

# Never beside another test that starts a whole platform or times a worker's calls: on
# two cores, a chaos or crash test beside the pipeline's Gemini-fault tests stalled the
# embedded PostgreSQL past those tests' bounds (`make test` runs pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("whole-platform")

PROJECT = {
    "README.md": "# shop\n\nA small web shop.\n",
    "pyproject.toml": (
        '[project]\nname = "shop"\nrequires-python = ">=3.12"\n'
        'dependencies = ["fastapi>=0.110"]\n\n[tool.pytest.ini_options]\n'
        'testpaths = ["tests"]\n\n[tool.ruff]\nline-length = 100\n'
    ),
    ".python-version": "3.12\n",
    "uv.lock": "version = 1\n",
    "src/shop/__init__.py": "",
    "src/shop/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
}


@pytest.fixture
def key() -> str:
    return crypto.generate_key()


@pytest.fixture
def pipeline_settings(
    settings: Settings, fake_gemini: FakeGemini, fake_github: FakeGitHub, key: str
) -> Settings:
    return msgspec.structs.replace(
        settings,
        gemini_api_key=SecretStr("test-gemini-key"),
        gemini_base_url=fake_gemini.url,
        github_api_url=fake_github.api_url,
        encryption_key=SecretStr(key),
        job_max_tries=2,
        gemini_timeout_seconds=2,
    )


@pytest.fixture
async def deps(pipeline_settings: Settings) -> AsyncIterator[Deps]:
    deps = await Deps.create(pipeline_settings)
    yield deps
    await deps.close()


async def drain(deps: Deps) -> None:
    """Run every queue's worker in burst mode until no queue has work left."""
    for _ in range(4):
        for kind in ("sync", "analysis", "ci_generation"):
            worker = build_worker(deps.settings, deps, kind, burst=True, poll_delay=0)
            try:
                await worker.main()
            finally:
                await stop_worker(worker)
        depths = [
            await deps.redis.zcard(keys.queue(k)) for k in ("sync", "analysis", "ci_generation")
        ]
        if not any(depths):
            return


async def connect_github(
    db: asyncpg.Connection, deps: Deps, tenant: Tenant, fake: FakeGitHub, full_name: str
) -> Repository:
    """A GitHub repository registered by `tenant`, whose GitHub token is stored encrypted."""
    _, token = fake.add_user(full_name.split("/")[0])
    assert deps.keyring is not None
    return await github_repository(db, tenant, full_name, deps.keyring, token=token)


async def submit(
    deps: Deps, tenant: Tenant, repo: Repository, kind: JobKind = "sync", **params: Any
) -> Job:
    commit = params.pop("commit", None)
    job, _ = await jobs.submit(
        deps.pool,
        deps.redis,
        tenant.organization_id,
        kind=kind,
        key=jobs.dedup_key(kind, repo.id, commit or uuid.uuid4()),
        trigger="test",
        repository_id=repo.id,
        commit_sha=commit,
        requested_by=tenant.user_id,
        params=params,
    )
    return job


async def job_of_kind(db: asyncpg.Connection, tenant: Tenant, kind: str) -> list[Job]:
    rows = (await jobs_db.list_jobs(db, tenant.organization_id, limit=100)).items
    return [j for j in rows if j.kind == kind]


async def stages(deps: Deps, job: Job) -> list[str]:
    entries = await streams.read_after(deps.redis, keys.job_events(str(job.id)), "0-0")
    decoded = [events.decode(fields) for _, fields in entries]
    return [e.stage or e.type for e in decoded]


async def test_push_to_pull_request(
    db: asyncpg.Connection,
    deps: Deps,
    tenant: Tenant,
    fake_github: FakeGitHub,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every extraction the jobs run, counted on its way to the real one.
    extracted: list[Path] = []

    def counting_extract(archive: Path, dest: Path, *args: Any, **kwargs: Any) -> ExtractStats:
        extracted.append(dest)
        return safe_extract(archive, dest, *args, **kwargs)

    monkeypatch.setattr(fetch, "safe_extract", counting_extract)
    fake_repo = fake_github.add_repo("acme/shop", PROJECT, topics=["shop"])
    repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
    sync = await submit(deps, tenant, repo, open_pull_request=True)

    await drain(deps)

    synced = await jobs_db.get_job(db, tenant.organization_id, sync.id)
    assert synced is not None
    assert synced.status == "succeeded", synced.error
    head = fake_repo.branches["main"]
    assert synced.result is not None
    assert synced.result["commit"] == head
    stored = await repos_db.get_repository(db, tenant.organization_id, repo.id)
    assert stored is not None
    assert (stored.default_branch, stored.last_commit, stored.visibility) == (
        "main",
        head,
        "public",
    )
    assert stored.topics == ["shop"]

    (analysis,) = await job_of_kind(db, tenant, "analysis")
    assert analysis.status == "succeeded", analysis.error
    assert analysis.commit_sha == head
    assert await stages(deps, analysis) == [
        "started",
        "fetching",
        "analysing",
        "ai",
        "storing",
        "succeeded",
    ]
    row = await db.fetchrow("SELECT * FROM analyses WHERE job_id = $1", analysis.id)
    assert row is not None
    report = row["report"]
    assert report["ai"]["status"] == "ok"
    assert report["ai"]["total_tokens"] > 0
    assert any(r["source"] == "ai" for r in report["recommendations"] if "source" in r)
    assert row["ai_total_tokens"] == report["ai"]["total_tokens"]
    python = report["stack"]["subprojects"][0]
    assert any(f["name"].lower() == "fastapi" for f in python["frameworks"])
    usage = await db.fetch("SELECT * FROM ai_usage WHERE job_id = $1", analysis.id)
    assert [u["outcome"] for u in usage] == ["ok"]
    assert usage[0]["user_id"] == tenant.user_id
    assert len(fake_gemini.calls()) == 1

    (ci,) = await job_of_kind(db, tenant, "ci_generation")
    assert ci.status == "succeeded", ci.error
    config = await db.fetchrow("SELECT * FROM ci_configs WHERE job_id = $1", ci.id)
    assert config is not None
    assert config["valid"] is True
    assert config["path"] == ".github/workflows/ci.yml"
    assert config["score_after"] > config["score_before"]
    assert config["pull_request_url"]
    (pull,) = fake_repo.pulls
    assert pull["base"]["ref"] == "main"
    branch_head = fake_repo.branches[pull["head"]["ref"]]
    assert (
        fake_repo.commits[branch_head].files[".github/workflows/ci.yml"].decode()
        == (config["content"])
    )
    assert ci.result is not None
    assert ci.result["pull_request_url"] == config["pull_request_url"]
    # The analysis and the CI generation of the commit read one download and one
    # extraction between them (the kept tree, services/worker/trees.py).
    assert len(fake_github.calls("GET", "/repos/acme/shop/tarball/")) == 1
    assert len(extracted) == 1


async def test_without_a_gemini_key_everything_else_works(
    db: asyncpg.Connection,
    pipeline_settings: Settings,
    tenant: Tenant,
    fake_github: FakeGitHub,
    fake_gemini: FakeGemini,
) -> None:
    deps = await Deps.create(msgspec.structs.replace(pipeline_settings, gemini_api_key=None))
    try:
        fake_github.add_repo("acme/shop", PROJECT)
        repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
        await submit(deps, tenant, repo)
        await drain(deps)
    finally:
        await deps.close()
    (analysis,) = await job_of_kind(db, tenant, "analysis")
    assert analysis.status == "succeeded"
    report = await db.fetchval("SELECT report FROM analyses WHERE job_id = $1", analysis.id)
    assert report["ai"]["status"] == "off"
    assert report["recommendations"]
    assert fake_gemini.requests == []
    (ci,) = await job_of_kind(db, tenant, "ci_generation")
    assert ci.status == "succeeded"


async def test_identical_content_twice_is_one_ai_call(
    db: asyncpg.Connection,
    deps: Deps,
    tenant: Tenant,
    fake_github: FakeGitHub,
    fake_gemini: FakeGemini,
) -> None:
    fake_repo = fake_github.add_repo("acme/shop", PROJECT)
    first = fake_repo.branches["main"]
    second = fake_repo.commit(PROJECT, message="empty change")
    repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
    for commit in (first, second):
        await submit(deps, tenant, repo, "analysis", commit=commit)
        await drain(deps)
    done = await job_of_kind(db, tenant, "analysis")
    assert [j.status for j in done] == ["succeeded", "succeeded"]
    statuses = await db.fetch(
        "SELECT commit_sha, ai_status, ai_total_tokens FROM analyses ORDER BY created_at"
    )
    assert [(r["commit_sha"], r["ai_status"]) for r in statuses] == [
        (first, "ok"),
        (second, "cached"),
    ]
    assert statuses[1]["ai_total_tokens"] == 0
    assert len(fake_gemini.calls()) == 1


async def test_quota_spent_means_no_call_and_a_clear_reason(
    db: asyncpg.Connection,
    deps: Deps,
    tenant: Tenant,
    fake_github: FakeGitHub,
    fake_gemini: FakeGemini,
) -> None:
    fake_github.add_repo("acme/shop", PROJECT)
    repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
    await db.execute(
        "INSERT INTO ai_usage (organization_id, user_id, model, tokens_used)"
        " VALUES ($1, $2, 'm', $3)",
        tenant.organization_id,
        tenant.user_id,
        deps.settings.ai_daily_quota_per_user,
    )
    commit = fake_github.repos["acme/shop"].branches["main"]
    job = await submit(deps, tenant, repo, "analysis", commit=commit)
    await drain(deps)
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert done.status == "succeeded"
    assert done.result is not None
    assert done.result["ai_status"] == "quota_exceeded"
    assert "quota" in str(done.result["ai_reason"]).lower()
    report = await db.fetchval("SELECT report FROM analyses WHERE job_id = $1", job.id)
    assert report["ai"]["status"] == "quota_exceeded"
    assert fake_gemini.calls() == []


@pytest.mark.parametrize(
    "fault",
    [
        "server_error",
        "rate_limited",
        "slow",
        "malformed_body",
        "malformed_json",
        "truncated",
        "schema_violation",
    ],
)
async def test_every_gemini_fault_ends_bounded_and_recorded(
    db: asyncpg.Connection,
    deps: Deps,
    tenant: Tenant,
    fake_github: FakeGitHub,
    fake_gemini: FakeGemini,
    fault: str,
) -> None:
    if fault == "slow":  # answers after GEMINI_TIMEOUT_SECONDS (2 s here) has passed
        fake_gemini.default = Reply(delay=3)
    else:
        fake_gemini.default = Reply(fault=fault, retry_after=0.01)  # type: ignore[arg-type]
    fake_github.add_repo("acme/shop", PROJECT)
    repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
    commit = fake_github.repos["acme/shop"].branches["main"]
    job = await submit(deps, tenant, repo, "analysis", commit=commit)
    await drain(deps)
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    # The report is stored with the AI step's failure; the job itself succeeds.
    assert done.status == "succeeded", done.error
    assert done.result is not None
    assert done.result["ai_status"] == "failed"
    calls = len(fake_gemini.calls())
    assert 1 <= calls <= max_calls_per_job(deps.settings)
    # Transient faults use every attempt (AI_CALL_ATTEMPTS in each of the job's tries);
    # a bad answer is final at once.
    retried = fault in ("server_error", "rate_limited", "slow")
    assert calls == (max_calls_per_job(deps.settings) if retried else 1)
    recorded = await db.fetch("SELECT outcome, tokens_used FROM ai_usage WHERE job_id = $1", job.id)
    # One row per call. An attempt cut off between its reservation and its call (a
    # database timeout on a loaded machine) leaves the reservation abandoned, at 0 tokens.
    assert len([r for r in recorded if r["outcome"] != "abandoned"]) == calls
    assert all(r["tokens_used"] == 0 for r in recorded if r["outcome"] == "abandoned")
    assert all(r["outcome"] != "ok" for r in recorded)


async def test_a_job_past_its_queue_timeout_is_retried_then_failed_with_the_reason(
    db: asyncpg.Connection,
    pipeline_settings: Settings,
    tenant: Tenant,
    fake_github: FakeGitHub,
    fake_gemini: FakeGemini,
) -> None:
    # Gemini answers after 30 s; the analysis queue allows 8 s, 6 s of them for the job.
    fake_gemini.default = Reply(delay=30)
    slow = msgspec.structs.replace(
        pipeline_settings, analysis_timeout_seconds=8, gemini_timeout_seconds=60
    )
    deps = await Deps.create(slow)
    try:
        fake_github.add_repo("acme/shop", PROJECT)
        repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
        commit = fake_github.repos["acme/shop"].branches["main"]
        job = await submit(deps, tenant, repo, "analysis", commit=commit)
        # Polling with a pause, unlike drain(): a busy poll starves the database of CPU
        # on a loaded machine, and this test is about what happens within seconds.
        worker = build_worker(slow, deps, "analysis", burst=True, poll_delay=0.2)
        try:
            await worker.main()  # burst mode waits for the deferred retry too
        finally:
            await stop_worker(worker)
        done = await jobs_db.get_job(db, tenant.organization_id, job.id)
        seen = await stages(deps, job)
    finally:
        await deps.close()

    assert done is not None
    assert (done.status, done.error_type, done.attempts) == ("failed", "timeout", 2)
    assert done.error is not None
    assert "ANALYSIS_TIMEOUT_SECONDS" in done.error
    assert seen.count("retrying") == 1
    assert seen[-1] == "failed"
    # A call cut off released its reservation at zero tokens; none is left counting.
    usage = await db.fetch("SELECT outcome, tokens_used FROM ai_usage WHERE job_id = $1", job.id)
    assert usage
    assert {(r["outcome"], r["tokens_used"]) for r in usage} == {("abandoned", 0)}


def _tarball(entries: list[tarfile.TarInfo], top: str = "acme-shop-0000000") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        folder = tarfile.TarInfo(top)
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for info in entries:
            info.name = f"{top}/{info.name}" if not info.name.startswith(("/", "..")) else info.name
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buffer.getvalue()


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize(
    "entries",
    [
        [_file("README.md"), _file("../escape.txt")],
        [_file("README.md"), _link("etc", "../../../etc")],
    ],
    ids=["dot-dot", "link-out"],
)
async def test_a_hostile_tarball_is_refused(
    db: asyncpg.Connection,
    deps: Deps,
    tenant: Tenant,
    fake_github: FakeGitHub,
    entries: list[tarfile.TarInfo],
) -> None:
    fake_repo = fake_github.add_repo("acme/shop", PROJECT)
    commit = fake_repo.branches["main"]
    fake_repo.tarballs[commit] = _tarball(entries)
    repo = await connect_github(db, deps, tenant, fake_github, "acme/shop")
    job = await submit(deps, tenant, repo, "analysis", commit=commit)
    await drain(deps)
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert (done.status, done.error_type, done.attempts) == ("failed", "archive_refused", 1)
    assert await db.fetchval("SELECT count(*) FROM analyses") == 0
