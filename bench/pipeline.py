"""Push-to-report latency: analysis job enqueued → report stored → terminal SSE event.

A 1,000-file repository (a Python service with tests, docs and a workflow) is committed
anew before each run so no run hits the analysis cache, and analysed by the real worker
(arq, PostgreSQL, Redis) with the fake Gemini answering at once; the api serves the job's
event stream, which the benchmark reads over HTTP as a client would. The baseline, in the
same run, is `analyze()` alone on the same tree: the ratio is what the pipeline around
the analysis (queue, fetch, AI step, storage, events) costs.

Embedded PostgreSQL and Valkey are used unless TEST_DATABASE_URL / TEST_REDIS_URL are set.
Run: `make bench` or `.venv/bin/python -m bench.pipeline`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import msgspec
from aiohttp import web

from libs.analysis import analyze
from libs.common import jobs
from libs.common.config import SecretStr, load_settings
from libs.common.db import orgs, repos, tokens
from libs.common.db.migrate import migrate
from libs.common.db.pool import connect
from libs.common.embedded import throwaway_servers
from services.api.app import create_app
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps
from tests.fakes.gemini import FakeGemini
from tests.helpers import git, parse_sse

RUNS = 15
FILES = 1000
TARGET_P50_S = 1.0


def write_repository(root: Path) -> None:
    """About FILES files: a package of modules, their tests, docs, config and CI."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("# inventory\n\nA service that tracks stock.\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "inventory"\nrequires-python = ">=3.12"\n'
        'dependencies = ["fastapi>=0.110", "sqlalchemy>=2"]\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.ruff]\nline-length = 100\n'
    )
    (root / "uv.lock").write_text("version = 1\n")
    (root / ".python-version").write_text("3.12\n")
    workflows = root / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "test.yml").write_text(
        "on: [push]\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: pytest\n"
    )
    for i in range((FILES - 10) // 3):
        package = root / "src/inventory" / f"area{i // 50}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"module{i}.py").write_text(
            f'"""Module {i}."""\n\n\ndef handler_{i}(count: int) -> int:\n'
            f"    total = 0\n    for n in range(count):\n        total += n * {i}\n"
            "    return total\n" * 3
        )
        tests = root / "tests" / f"area{i // 50}"
        tests.mkdir(parents=True, exist_ok=True)
        (tests / f"test_module{i}.py").write_text(
            f"def test_handler_{i}() -> None:\n    assert True\n"
        )
        docs = root / "docs" / f"area{i // 50}"
        docs.mkdir(parents=True, exist_ok=True)
        (docs / f"module{i}.md").write_text(f"# Module {i}\n\nWhat it does.\n")


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        base = Path(tmp)
        given = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
        with throwaway_servers(base, *given) as (pg_url, redis_url):
            await run(base, pg_url, redis_url)


async def run(base: Path, admin_url: str, redis_url: str) -> None:
    database = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    db_url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{database}"))
    gemini = FakeGemini()
    await gemini.start()
    settings = load_settings(
        {},
        database_url=db_url,
        redis_url=urlunsplit(urlsplit(redis_url)._replace(path="/9")),
        environment="test",
        log_level="warning",
        allow_local_repos=True,
        gemini_api_key=SecretStr("bench"),
        gemini_base_url=gemini.url,
        worker_metrics_port=0,
    )
    conn = await connect(settings.database_url)
    await migrate(conn)
    user_id, org_id = await orgs.bootstrap_admin(conn, login="bench", org_slug="bench")
    token, _ = await tokens.create_token(conn, org_id, user_id, "bench")
    repo_path = base / "repo"
    write_repository(repo_path)
    git(repo_path, "init", "-q", "-b", "main")
    git(repo_path, "add", "-A")
    git(repo_path, "commit", "-qm", "initial")
    repo, _ = await repos.create_repository(
        conn,
        org_id,
        provider="local",
        full_name="local/repo",
        clone_url=str(repo_path),
        created_by=user_id,
    )
    await conn.close()

    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api = f"http://127.0.0.1:{runner.addresses[0][1]}"
    deps = await Deps.create(settings)
    worker = build_worker(settings, deps, "analysis")
    worker_task = asyncio.create_task(worker.async_run())
    stored: list[float] = []
    streamed: list[float] = []
    stages: dict[str, list[float]] = {}
    try:
        async with aiohttp.ClientSession(api, headers={"Authorization": f"Bearer {token}"}) as http:
            for i in range(RUNS):
                commit = new_commit(repo_path, i)
                started = time.perf_counter()
                job, _ = await jobs.submit(
                    deps.pool,
                    deps.redis,
                    org_id,
                    kind="analysis",
                    key=jobs.dedup_key("analysis", repo.id, commit),
                    trigger="bench",
                    repository_id=repo.id,
                    commit_sha=commit,
                    requested_by=user_id,
                )
                async with http.get(f"/v1/jobs/{job.id}/events") as sse:
                    events = parse_sse(await sse.text())
                streamed.append(time.perf_counter() - started)
                assert events[-1].event == "succeeded", events[-1]
                record_stages(stages, [msgspec.json.decode(e.data) for e in events])
                async with deps.pool.acquire() as c:
                    created = await c.fetchval(
                        "SELECT extract(epoch FROM a.created_at - j.created_at)"
                        " FROM analyses a JOIN jobs j ON j.id = a.job_id WHERE j.id = $1",
                        job.id,
                    )
                stored.append(float(created))
    finally:
        await stop_worker(worker)
        worker_task.cancel()
        await asyncio.gather(worker_task, return_exceptions=True)
        await deps.close()
        await runner.cleanup()
        await gemini.close()

    baseline = []
    for _ in range(5):
        started = time.perf_counter()
        analyze(repo_path)
        baseline.append(time.perf_counter() - started)
    print("median time from each event to the next:")
    for stage, values in stages.items():
        print(f"  {stage:<12} {statistics.median(values) * 1000:7.0f} ms")
    report(stored, streamed, statistics.median(baseline), len(gemini.calls()))


def record_stages(stages: dict[str, list[float]], events: list[dict[str, object]]) -> None:
    for event, following in zip(events, events[1:], strict=False):
        name = str(event.get("stage") or event["type"])
        gap = float(following["at"]) - float(event["at"])  # type: ignore[arg-type]
        stages.setdefault(name, []).append(gap)


def new_commit(repo_path: Path, i: int) -> str:
    (repo_path / "src/inventory/version.py").write_text(f'VERSION = "1.0.{i}"\n')
    git(repo_path, "add", "-A")
    git(repo_path, "commit", "-qm", f"release {i}")
    return git(repo_path, "rev-parse", "HEAD")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(stored: list[float], streamed: list[float], baseline: float, calls: int) -> None:
    p50 = statistics.median(streamed)
    print(f"runs: {len(streamed)} analyses of a {FILES}-file repository, {calls} Gemini calls")
    print(
        f"enqueued → report stored:      p50 {statistics.median(stored) * 1000:7.0f} ms"
        f"   p95 {percentile(stored, 0.95) * 1000:7.0f} ms"
    )
    print(
        f"enqueued → terminal SSE event: p50 {p50 * 1000:7.0f} ms"
        f"   p95 {percentile(streamed, 0.95) * 1000:7.0f} ms"
    )
    print(f"baseline analyze() alone:      p50 {baseline * 1000:7.0f} ms")
    print(f"pipeline / analysis ratio: {p50 / baseline:.2f}x")
    verdict = "met" if p50 < TARGET_P50_S else "NOT met"
    print(f"target p50 < {TARGET_P50_S:.0f} s: {verdict}")
    if p50 >= TARGET_P50_S:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
