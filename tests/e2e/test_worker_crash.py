"""A worker killed with SIGKILL during the Gemini call: the job still completes, once.

Real worker processes on the test's database and Redis; Gemini is the local fake, which
holds the first call open long enough for the kill.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from libs.common import jobs
from libs.common.config import Settings
from libs.common.db import jobs as jobs_db
from libs.common.db import repos as repos_db
from libs.common.db.pool import create_pool
from libs.common.redis.client import create_redis
from tests.conftest import Tenant
from tests.e2e.conftest import ROOT
from tests.fakes.gemini import FakeGemini, Reply
from tests.helpers import make_repo

# Never beside another test that starts a whole platform or times a worker's calls: on
# two cores, a chaos or crash test beside the pipeline's Gemini-fault tests stalled the
# embedded PostgreSQL past those tests' bounds (`make test` runs pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("whole-platform")

TIMEOUT_S = 8  # ANALYSIS_TIMEOUT_SECONDS: a killed job's lease runs out within this + 10 s


def _worker(settings: Settings, fake: FakeGemini, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "GEMINI_API_KEY": "test-key",
        "GEMINI_BASE_URL": fake.url,
        "GEMINI_TIMEOUT_SECONDS": "60",
        "ANALYSIS_TIMEOUT_SECONDS": str(TIMEOUT_S),
        "ALLOW_LOCAL_REPOS": "true",
        "WORKER_METRICS_PORT": "0",
        "WORKER_MAINTENANCE": "false",
        "LOG_FORMAT": "json",
        # The killed attempt's tree stays behind: keep it out of the machine's /dev/shm.
        "WORKDIR": str(log.parent / "work"),
    }
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.worker", "--queue", "analysis"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _until(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sigkill_during_the_ai_call(
    settings: Settings,
    db: asyncpg.Connection,
    tenant: Tenant,
    fake_gemini: FakeGemini,
    tmp_path: Path,
) -> None:
    commit = make_repo(tmp_path / "repo", {"README.md": "# app\n", "main.py": "print(1)\n"})
    repo, _ = await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="local",
        full_name="local/repo",
        clone_url=str(tmp_path / "repo"),
        created_by=tenant.user_id,
    )
    # The first call hangs (the worker dies in it); every later one answers at once.
    fake_gemini.script(Reply(delay=40))
    pool = await create_pool(settings, min_size=0)
    redis = create_redis(settings)
    try:
        job, _ = await jobs.submit(
            pool,
            redis,
            tenant.organization_id,
            kind="analysis",
            key=jobs.dedup_key("analysis", repo.id, commit),
            trigger="test",
            repository_id=repo.id,
            commit_sha=commit,
            requested_by=tenant.user_id,
        )
    finally:
        await redis.aclose()
        await pool.close()
    log = tmp_path / "worker.log"
    first = _worker(settings, fake_gemini, log)
    second: subprocess.Popen[bytes] | None = None
    try:

        async def calling() -> bool:
            return len(fake_gemini.calls()) == 1

        await _until(calling, 60, "the first Gemini call")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        second = _worker(settings, fake_gemini, log)

        async def finished() -> bool:
            row = await jobs_db.get_job(db, tenant.organization_id, job.id)
            return row is not None and row.finished

        await _until(finished, TIMEOUT_S + 10 + 60, "the job to finish after the crash")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)

    done = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert done is not None
    assert done.status == "succeeded", log.read_text()[-3000:]
    assert done.attempts == 2
    assert await db.fetchval("SELECT count(*) FROM analyses WHERE job_id = $1", job.id) == 1
    usage = await db.fetch(
        "SELECT outcome, tokens_used FROM ai_usage WHERE job_id = $1 ORDER BY id", job.id
    )
    # The killed call is settled at zero; only the call that answered is counted.
    assert [u["outcome"] for u in usage] == ["abandoned", "ok"]
    assert usage[0]["tokens_used"] == 0
    report = await db.fetchval("SELECT report FROM analyses WHERE job_id = $1", job.id)
    assert report["ai"]["status"] == "ok"
    assert report["ai"]["total_tokens"] == usage[1]["tokens_used"]
    assert len(fake_gemini.calls()) == 2
