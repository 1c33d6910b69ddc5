"""A real Prometheus scrapes the api, worker and scheduler processes through a webhook →
analysis (Gemini) → CI generation flow and a nightly backup and cleanup; then every
PromQL expression of every dashboard panel and alert rule is evaluated through its HTTP
API: each must parse, each panel must return data, and every rule must evaluate cleanly.

The Prometheus config is the shipped single-host one (deploy/prometheus/prometheus-host.yml):
the worker and scheduler listen on free ports and are found through the api's
/metrics/targets, as replicas sharing a host are in production.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import aiohttp
import pytest
import yaml

from libs.github.signatures import sign
from tests.e2e.conftest import Stack
from tests.e2e.observability import prometheus
from tests.fakes.gemini import FakeGemini
from tests.fakes.github import FakeGitHub
from tests.fakes.github_state import FakeRepo

SECRET = "observability webhook secret"
RATE_INTERVAL = "1m"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"  # what Grafana's $__rate_interval stands for here
JOBS = ("autodevops-api", "autodevops-worker", "autodevops-scheduler")
PROJECT = {
    "README.md": "# shop\n\nA small web shop.\n",
    "pyproject.toml": '[project]\nname = "shop"\nrequires-python = ">=3.12"\n',
    "src/shop/__init__.py": "",
    "tests/test_shop.py": "def test_ok():\n    assert True\n",
}


@pytest.fixture
def stack_env(fake_github: FakeGitHub, fake_gemini: FakeGemini, tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_API_URL": fake_github.api_url,
        "GEMINI_API_KEY": "test-gemini-key",
        "GEMINI_BASE_URL": fake_gemini.url,
        "AI_DAILY_BUDGET_TOKENS": "1000000",
        # The latest yearly slot is due when the scheduler starts (catch-up over a year).
        "SCHEDULE_BACKUP_CRON": "0 0 1 1 *",
        "SCHEDULE_CLEANUP_CRON": "0 0 1 1 *",
        "SCHEDULE_CATCHUP_SECONDS": str(400 * 24 * 3600),
        "BACKUP_DIR": str(tmp_path / "backups"),
    }


def alert_exprs() -> list[tuple[str, str]]:
    data = yaml.safe_load((prometheus.DEPLOY / "alerts.yml").read_text())
    return [(r["alert"], r["expr"]) for g in data["groups"] for r in g["rules"]]


def panel_exprs() -> list[tuple[str, str]]:
    found = []
    for path in sorted((prometheus.ROOT / "deploy/grafana/dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                where = f"{board['title']} / {panel['title']}"
                found.append((where, target["expr"].replace("$__rate_interval", RATE_INTERVAL)))
    return found


async def deliver(
    http: aiohttp.ClientSession,
    url: str,
    body: bytes,
    delivery: str,
    signature: str,
    **extra: str,
) -> int:
    headers = extra | {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "9",
        "X-Hub-Signature-256": signature,
    }
    async with http.post(f"{url}/webhooks/github", data=body, headers=headers) as response:
        return response.status


async def drive(stack: Stack, http: aiohttp.ClientSession, repo: FakeRepo) -> None:
    """Register the repository, push to it through a signed webhook (plus a duplicate, a
    forged one and two client errors), and wait until analysis and CI generation
    have succeeded."""
    token = stack.cli("token", "create", "--login", "obs", "--org", "obs-org")
    auth = {"Authorization": f"Bearer {token}"}
    async with http.post(
        f"{stack.url}/v1/repos", json={"url": "https://github.com/acme/shop"}, headers=auth
    ) as created:
        assert created.status == 201, await created.text()
    sha = repo.branches["main"]
    body = json.dumps(
        {
            "ref": "refs/heads/main",
            "after": sha,
            "repository": {"id": repo.id, "full_name": "acme/shop", "default_branch": "main"},
        }
    ).encode()
    delivery = str(uuid.uuid4())
    # A proxy in front may start the trace: the api continues it (nothing is exported).
    traced = {"traceparent": f"00-{TRACE_ID}-{'1' * 16}-01"}
    assert await deliver(http, stack.url, body, delivery, sign(SECRET, body), **traced) == 202
    assert await deliver(http, stack.url, body, delivery, sign(SECRET, body)) == 200
    assert await deliver(http, stack.url, body, str(uuid.uuid4()), sign("forged", body)) == 401
    async with http.get(f"{stack.url}/v1/jobs/{uuid.uuid4()}", headers=auth) as missing:
        assert missing.status == 404
    async with http.get(f"{stack.url}/v1/jobs") as anonymous:
        assert anonymous.status == 401

    deadline = time.monotonic() + 90
    while True:
        async with http.get(f"{stack.url}/v1/jobs", headers=auth) as listed:
            if listed.status == 429:  # a slow machine polls long enough to meet the limit
                await asyncio.sleep(float(listed.headers["Retry-After"]))
                continue
            assert listed.status == 200, await listed.text()
            jobs = (await listed.json())["items"]
        states = {j["kind"]: j["status"] for j in jobs}
        if states == {"analysis": "succeeded", "ci_generation": "succeeded"}:
            return
        assert "failed" not in states.values(), jobs
        assert time.monotonic() < deadline, (jobs, (stack.logs / "worker.log").read_text()[-3000:])
        await asyncio.sleep(0.3)


async def wait_for_targets(prom: prometheus.Prometheus, http: aiohttp.ClientSession) -> None:
    """Every service scraped; the worker and scheduler found through /metrics/targets."""
    deadline = time.monotonic() + 30
    while True:
        data = await prom.api_get(http, "targets")
        up = {t["labels"]["job"]: t for t in data["activeTargets"] if t["health"] == "up"}
        if set(JOBS) <= set(up):
            break
        assert time.monotonic() < deadline, data
        await asyncio.sleep(0.3)
    for job in ("autodevops-worker", "autodevops-scheduler"):
        assert "/metrics/targets?service=" in up[job]["discoveredLabels"]["__meta_url"]


async def test_every_panel_and_alert_expression_against_a_real_prometheus(
    stack: Stack, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    repo = fake_github.add_repo("acme/shop", PROJECT)
    config = prometheus.host_config(stack.url.removeprefix("http://"))
    with prometheus.running(config, tmp_path / "prometheus") as prom:
        async with aiohttp.ClientSession() as http:
            await wait_for_targets(prom, http)
            await drive(stack, http, repo)
            finished = 'autodevops_jobs_total{queue="ci_generation",outcome="succeeded"} > 0'
            await prom.wait_for(http, finished)
            for task in ("backup", "cleanup"):
                done = f'autodevops_maintenance_runs_total{{task="{task}",outcome="succeeded"}} > 0'
                await prom.wait_for(http, done)
            await asyncio.sleep(2.5)  # two more scrapes and rule evaluations

            empty = [where for where, expr in panel_exprs() if not await prom.query(http, expr)]
            assert empty == [], f"panels without data: {empty}"
            for _, expr in alert_exprs():
                await prom.query(http, expr)  # parses and evaluates, firing or not
            await check_rules_evaluate(prom, http)
            await check_the_flow_was_measured(prom, http)
    check_worker_logs_continue_the_trace(stack)


def check_worker_logs_continue_the_trace(stack: Stack) -> None:
    """The delivery and every job it caused log the trace id the webhook came with."""
    lines = [
        json.loads(line)
        for line in (stack.logs / "worker.log").read_text().splitlines()
        if line.startswith("{")
    ]
    recorded = [e for e in lines if e["event"] == "webhook delivery recorded"]
    finished = [e for e in lines if e["event"] == "job succeeded"]
    assert {e["queue"] for e in finished} == {"analysis", "ci_generation"}
    assert {e["trace_id"] for e in recorded + finished} == {TRACE_ID}
    assert all(len(e["span_id"]) == 16 for e in recorded + finished)


async def check_rules_evaluate(prom: prometheus.Prometheus, http: aiohttp.ClientSession) -> None:
    groups = (await prom.api_get(http, "rules"))["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert set(rules) == {name for name, _ in alert_exprs()}
    unhealthy = {n: r.get("lastError") for n, r in rules.items() if r["health"] != "ok"}
    assert unhealthy == {}
    # Nothing is wrong with this stack: no alert may be pending or firing on it.
    active = {n: r["state"] for n, r in rules.items() if r["state"] != "inactive"}
    assert active == {}


async def check_the_flow_was_measured(
    prom: prometheus.Prometheus, http: aiohttp.ClientSession
) -> None:
    async def total(expr: str) -> float:
        return await prom.value(http, f"sum({expr})")

    for queue in ("analysis", "ci_generation"):  # a push carries its head: no sync
        assert await total(f'autodevops_jobs_total{{queue="{queue}",outcome="succeeded"}}') >= 1
    deliveries = "autodevops_webhook_deliveries_total"
    for outcome in ("accepted", "duplicate", "bad_signature"):
        assert await total(f'{deliveries}{{event="push",outcome="{outcome}"}}') == 1, outcome
    assert await total('autodevops_webhook_ingested_total{outcome="processed"}') == 1
    assert await total('autodevops_http_requests_total{status_class="4xx"}') >= 3
    assert await total('autodevops_ai_calls_total{outcome="ok"}') >= 1
    assert await total('autodevops_ai_tokens_total{kind="prompt"}') > 0
    assert await total("autodevops_ai_estimated_cost_dollars_total") > 0
    assert await prom.value(http, "max(autodevops_ai_tokens_today)") > 0
    assert await prom.value(http, "max(autodevops_backup_verified)") == 1
    assert await prom.value(http, "max(autodevops_backup_size_bytes)") > 0
    assert await prom.value(http, "sum(autodevops_scheduler_leader)") == 1
    for dependency in ("postgres", "redis"):
        up = f'min(autodevops_dependency_up{{dependency="{dependency}"}})'
        assert await prom.value(http, up) == 1
