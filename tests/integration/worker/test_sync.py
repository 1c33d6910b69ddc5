"""The sync job through a real arq worker, against real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.common import jobs
from libs.common.config import Settings
from libs.common.db import jobs as jobs_db
from libs.common.db import repos as repos_db
from libs.common.redis import events, keys, queue, streams
from libs.common.schemas import Job, Repository
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps
from tests.conftest import Tenant
from tests.helpers import git, make_repo
from tests.integration.worker.conftest import RunQueue


async def _register(db: asyncpg.Connection, tenant: Tenant, path: str) -> Repository:
    repo, _ = await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="local",
        full_name="local/x",
        clone_url=path,
        created_by=tenant.user_id,
    )
    return repo


async def _submit_sync(deps: Deps, tenant: Tenant, repo: Repository) -> Job:
    job, created = await jobs.submit(
        deps.pool,
        deps.redis,
        tenant.organization_id,
        kind="sync",
        key=jobs.dedup_key("sync", repo.id),
        trigger="test",
        repository_id=repo.id,
    )
    assert created
    return job


async def _events(redis: Redis, job_id: object) -> list[events.JobEvent]:
    entries = await streams.read_after(redis, keys.job_events(str(job_id)), "0-0")
    return [events.decode(fields) for _, fields in entries]


async def _https_repository(db: asyncpg.Connection, tenant: Tenant, where: str) -> Repository:
    """A git repository row as registration would write it, without its checks."""
    repo, _ = await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="git",
        full_name=where,
        clone_url=f"https://{where}",
        created_by=tenant.user_id,
    )
    return repo


async def test_sync_resolves_head_and_branch(
    db: asyncpg.Connection, deps: Deps, run_queue: RunQueue, tenant: Tenant, tmp_path: Path
) -> None:
    sha = make_repo(tmp_path / "r", {"README.md": "hi\n"}, branch="trunk")
    repo = await _register(db, tenant, str(tmp_path / "r"))
    job = await _submit_sync(deps, tenant, repo)

    await run_queue("sync")

    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert done.status == "succeeded"
    assert done.attempts == 1
    assert done.result is not None
    assert (done.result["default_branch"], done.result["commit"]) == ("trunk", sha)
    # A sync is followed by an analysis of the commit it found.
    analysis = await jobs_db.get_job(
        db, tenant.organization_id, uuid.UUID(str(done.result["analysis_job_id"]))
    )
    assert analysis is not None
    assert (analysis.kind, analysis.commit_sha, analysis.status) == ("analysis", sha, "queued")
    assert done.started_at is not None
    assert done.finished_at is not None
    stored = await repos_db.get_repository(db, tenant.organization_id, repo.id)
    assert stored is not None
    assert (stored.default_branch, stored.last_commit) == ("trunk", sha)
    kinds = [e.type for e in await _events(deps.redis, job.id)]
    assert kinds[0] == "started"
    assert kinds[-1] == "succeeded"
    assert "progress" in kinds
    org_stream = await streams.read_after(
        deps.redis, keys.org_events(str(tenant.organization_id)), "0-0"
    )
    assert len(org_stream) == len(kinds)


async def test_missing_repository_fails_once_with_a_readable_reason(
    db: asyncpg.Connection, deps: Deps, run_queue: RunQueue, tenant: Tenant, tmp_path: Path
) -> None:
    repo = await _register(db, tenant, str(tmp_path / "nowhere"))
    job = await _submit_sync(deps, tenant, repo)

    await run_queue("sync")

    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert done.status == "failed"
    assert done.attempts == 1
    assert done.error_type == "repository_not_found"
    assert done.error is not None
    assert "not found" in done.error
    last = (await _events(deps.redis, job.id))[-1]
    assert last.type == "failed"
    assert last.message == done.error


async def test_empty_repository_is_a_permanent_failure(
    db: asyncpg.Connection, deps: Deps, run_queue: RunQueue, tenant: Tenant, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    git(tmp_path / "empty", "init", "-q")
    repo = await _register(db, tenant, str(tmp_path / "empty"))
    job = await _submit_sync(deps, tenant, repo)
    await run_queue("sync")
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert (done.status, done.error_type) == ("failed", "empty_repository")


async def test_a_finished_job_enqueued_again_does_not_run_again(
    db: asyncpg.Connection, deps: Deps, run_queue: RunQueue, tenant: Tenant, tmp_path: Path
) -> None:
    make_repo(tmp_path / "r", {"a.txt": "a"})
    repo = await _register(db, tenant, str(tmp_path / "r"))
    job = await _submit_sync(deps, tenant, repo)
    await run_queue("sync")
    # arq runs at least once: a duplicate delivery of the same job must be a no-op.
    assert await queue.enqueue(deps.redis, "sync", job.dedup_key, jobs.payload_for(job))
    await run_queue("sync")
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert (done.status, done.attempts) == ("succeeded", 1)


async def test_attempts_beyond_the_limit_fail_the_job(
    db: asyncpg.Connection, deps: Deps, run_queue: RunQueue, tenant: Tenant, tmp_path: Path
) -> None:
    make_repo(tmp_path / "r", {"a.txt": "a"})
    repo = await _register(db, tenant, str(tmp_path / "r"))
    job = await _submit_sync(deps, tenant, repo)
    # As if earlier workers were killed mid-job on every allowed attempt.
    await db.execute(
        "UPDATE jobs SET attempts = $2, status = 'running' WHERE id = $1",
        job.id,
        deps.settings.job_max_tries,
    )
    await run_queue("sync")
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert (done.status, done.error_type) == ("failed", "attempts_exhausted")


async def test_transient_failure_is_retried_then_fails_with_its_reason(
    db: asyncpg.Connection, settings: Settings, tenant: Tenant
) -> None:
    # An https host that refuses connections: unreachable, not "not found".
    repo = await _https_repository(db, tenant, "127.0.0.1:9/x")
    internal = msgspec.structs.replace(settings, job_max_tries=2, allow_private_repo_hosts=True)
    deps = await Deps.create(internal)
    try:
        job = await _submit_sync(deps, tenant, repo)
        worker = build_worker(deps.settings, deps, "sync", burst=True, poll_delay=0)
        try:
            await worker.main()  # burst mode waits for the deferred retry too
        finally:
            await stop_worker(worker)
        seen = [e.type for e in await _events(deps.redis, job.id)]
    finally:
        await deps.close()
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert (done.status, done.attempts, done.error_type) == ("failed", 2, "unreachable")
    assert done.error is not None
    assert "could not reach the repository" in done.error
    assert seen == ["started", "progress", "retrying", "started", "progress", "failed"]


async def test_a_repository_inside_the_network_is_never_fetched(
    db: asyncpg.Connection, deps: Deps, tenant: Tenant, run_queue: RunQueue
) -> None:
    # Registered before the check existed, or its DNS changed since: refused at fetch time.
    repo = await _https_repository(db, tenant, "169.254.169.254/latest")
    job = await _submit_sync(deps, tenant, repo)
    await run_queue("sync")
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert (done.status, done.attempts, done.error_type) == ("failed", 1, "forbidden_host")
    assert done.error is not None
    assert "ALLOW_PRIVATE_REPO_HOSTS" in done.error


async def test_reconciler_requeues_a_row_whose_enqueue_was_lost(
    db: asyncpg.Connection, deps: Deps, run_queue: RunQueue, tenant: Tenant, tmp_path: Path
) -> None:
    make_repo(tmp_path / "r", {"a.txt": "a"})
    repo = await _register(db, tenant, str(tmp_path / "r"))
    job, _ = await jobs_db.insert_job(
        db,
        tenant.organization_id,
        kind="sync",
        dedup_key=jobs.dedup_key("sync", repo.id),
        trigger="test",
        repository_id=repo.id,
    )
    await db.execute("UPDATE jobs SET updated_at = now() - interval '5 minutes'")
    assert await jobs.reconcile(deps.pool, deps.redis, older_than_s=60) == 1
    assert await jobs.reconcile(deps.pool, deps.redis, older_than_s=60) == 0
    await run_queue("sync")
    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert done.status == "succeeded"


def test_job_payload_is_msgpack_not_pickle() -> None:
    payload = queue.JobPayload(job_id="j", organization_id="o", trace={"traceparent": "x"})
    raw = queue.serialize({"f": "sync", "a": [msgspec.to_builtins(payload)], "k": {}})
    assert not raw.startswith(b"\x80")  # pickle protocol marker
    assert queue.deserialize(raw)["a"][0]["job_id"] == "j"
