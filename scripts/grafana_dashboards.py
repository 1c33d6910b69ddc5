"""The Grafana dashboards, as code: `python scripts/grafana_dashboards.py` writes
deploy/grafana/dashboards/*.json; `--check` exits 1 if the files differ from this source.

Each panel is a title and PromQL expressions (Grafana's `$__rate_interval` for rates).
tests/e2e/observability evaluates every expression against a real Prometheus scraping a
real stack, so a query that does not parse or returns nothing fails the suite.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Literal

OUT = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "$__rate_interval"
APP = 'job=~"autodevops-.*"'


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    # Keyword-only: a description passed by position once became three panels' type.
    _: KW_ONLY
    kind: Literal["timeseries", "stat"] = "timeseries"
    description: str = ""
    width: int = 12


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)


def q(expr: str, legend: str = "") -> tuple[str, str]:
    return (expr, legend)


def ratio(bad: str, total: str) -> str:
    """bad / total, 0 when nothing happened (instead of no data or NaN)."""
    return f"(sum({bad}) or vector(0)) / clamp_min(sum({total}), 1e-9)"


def quantiles(metric: str, by: str = "", selector: str = "") -> tuple[tuple[str, str], ...]:
    group = f"le, {by}" if by else "le"
    legend = f"p{{q}} {{{{{by}}}}}" if by else "p{q}"
    return tuple(
        q(
            f"histogram_quantile({n}, sum by ({group}) (rate({metric}_bucket{selector}[{RATE}])))",
            legend.replace("{q}", str(int(n * 100))),
        )
        for n in (0.5, 0.95, 0.99)
    )


HTTP = "autodevops_http_requests_total"
HTTP_LATENCY = "autodevops_http_request_duration_seconds"

OVERVIEW = Dashboard(
    "autodevops-overview",
    "AutoDevOps / Overview",
    "The api's rate, errors and duration per route template, and its dependencies.",
    (
        Panel("API instances up", (q('sum(up{job="autodevops-api"})'),), kind="stat", width=6),
        Panel(
            "Requests per second", (q(f"sum(rate({HTTP}[{RATE}]))"),), "reqps", kind="stat", width=6
        ),
        Panel(
            "5xx ratio",
            (q(ratio(f'rate({HTTP}{{status_class="5xx"}}[{RATE}])', f"rate({HTTP}[{RATE}])")),),
            "percentunit",
            kind="stat",
            description="Alert AutoDevOpsHighErrorRatio fires above 5 % for 5 minutes.",
            width=6,
        ),
        Panel(
            "p99 latency",
            (q(f"histogram_quantile(0.99, sum by (le) (rate({HTTP_LATENCY}_bucket[{RATE}])))"),),
            "s",
            kind="stat",
            description=(
                "Event streams are not counted. Alert AutoDevOpsHighLatency fires above 2 s."
            ),
            width=6,
        ),
        Panel(
            "Requests by route",
            (q(f"sum by (method, route) (rate({HTTP}[{RATE}]))", "{{method}} {{route}}"),),
            "reqps",
        ),
        Panel(
            "Requests by status class",
            (q(f"sum by (status_class) (rate({HTTP}[{RATE}]))", "{{status_class}}"),),
            "reqps",
        ),
        Panel(
            "Error ratio",
            (
                q(
                    ratio(f'rate({HTTP}{{status_class="5xx"}}[{RATE}])', f"rate({HTTP}[{RATE}])"),
                    "5xx",
                ),
                q(
                    ratio(f'rate({HTTP}{{status_class="4xx"}}[{RATE}])', f"rate({HTTP}[{RATE}])"),
                    "4xx",
                ),
            ),
            "percentunit",
        ),
        Panel(
            "Errors by route",
            (
                q(
                    f"sum by (route, status_class) "
                    f'(rate({HTTP}{{status_class=~"4xx|5xx"}}[{RATE}]))',
                    "{{status_class}} {{route}}",
                ),
            ),
            "reqps",
        ),
        Panel("Latency p50 / p95 / p99", quantiles(HTTP_LATENCY), "s"),
        Panel(
            "p95 latency by route",
            (
                q(
                    f"histogram_quantile(0.95, sum by (le, route) "
                    f"(rate({HTTP_LATENCY}_bucket[{RATE}])))",
                    "{{route}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Requests in flight and event streams open",
            (
                q("sum(autodevops_http_requests_in_flight)", "in flight"),
                q("sum by (stream) (autodevops_sse_connections)", "SSE {{stream}}"),
            ),
            width=8,
        ),
        Panel(
            "Rate-limited requests by policy",
            (
                q(
                    f"sum by (policy) (rate(autodevops_rate_limited_requests_total[{RATE}]))",
                    "{{policy}}",
                ),
            ),
            "reqps",
            width=8,
        ),
        Panel(
            "Dependencies up",
            (q("min by (dependency) (autodevops_dependency_up)", "{{dependency}}"),),
            description="1: answered the last check made at scrape time.",
            width=8,
        ),
    ),
)

JOBS = "autodevops_jobs_total"
QUEUES = Dashboard(
    "autodevops-queues",
    "AutoDevOps / Queues and jobs",
    "Queue depth and waiting time, job outcomes, durations and retries per queue.",
    (
        Panel(
            "Jobs waiting",
            (q("max by (queue) (autodevops_queue_depth)", "{{queue}}"),),
            description="Alert AutoDevOpsQueueBacklog fires above 100 for 10 minutes.",
        ),
        Panel(
            "Oldest due job waiting",
            (q("max by (queue) (autodevops_queue_oldest_job_age_seconds)", "{{queue}}"),),
            "s",
        ),
        Panel(
            "Jobs finished by queue and outcome",
            (q(f"sum by (queue, outcome) (rate({JOBS}[{RATE}]))", "{{queue}} {{outcome}}"),),
            "ops",
        ),
        Panel(
            "Failure ratio by queue",
            (
                q(
                    f'sum by (queue) (rate({JOBS}{{outcome="failed"}}[{RATE}])) / clamp_min('
                    f'sum by (queue) (rate({JOBS}{{outcome=~"succeeded|failed"}}[{RATE}])), 1e-9)',
                    "{{queue}}",
                ),
            ),
            "percentunit",
        ),
        Panel(
            "Job duration p95 by queue",
            (
                q(
                    f"histogram_quantile(0.95, sum by (le, queue) "
                    f"(rate(autodevops_job_duration_seconds_bucket[{RATE}])))",
                    "{{queue}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Wait before start p95 by queue",
            (
                q(
                    f"histogram_quantile(0.95, sum by (le, queue) "
                    f"(rate(autodevops_job_wait_seconds_bucket[{RATE}])))",
                    "{{queue}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Jobs running",
            (q("sum by (queue) (autodevops_jobs_in_progress)", "{{queue}}"),),
            width=8,
        ),
        Panel(
            "Retries by queue",
            (q(f"sum by (queue) (rate(autodevops_job_retries_total[{RATE}]))", "{{queue}}"),),
            "ops",
            width=8,
        ),
        Panel("Worker processes up", (q('sum(up{job="autodevops-worker"})', "workers"),), width=8),
    ),
)

AI_CALLS = "autodevops_ai_calls_total"
AI_COST = "autodevops_ai_estimated_cost_dollars_total"
AI = Dashboard(
    "autodevops-ai",
    "AutoDevOps / AI usage and cost",
    "Gemini calls, tokens, estimated cost (AI_PRICES) and the daily budget.",
    (
        Panel(
            "Tokens today",
            (
                q("max(autodevops_ai_tokens_today)", "spent since 00:00 UTC"),
                q("max(autodevops_ai_daily_budget_tokens)", "daily budget"),
            ),
            kind="stat",
            width=8,
        ),
        Panel(
            "Daily budget used",
            (q("max(autodevops_ai_tokens_today) / max(autodevops_ai_daily_budget_tokens > 0)"),),
            "percentunit",
            kind="stat",
            description="Empty without AI_DAILY_BUDGET_TOKENS. Alerts at 80 % and 100 %.",
            width=8,
        ),
        Panel(
            "Estimated cost, last 24 h",
            (q(f"sum(increase({AI_COST}[24h]))"),),
            "currencyUSD",
            kind="stat",
            width=8,
        ),
        Panel(
            "Calls by model and outcome",
            (q(f"sum by (model, outcome) (rate({AI_CALLS}[{RATE}]))", "{{model}} {{outcome}}"),),
            "ops",
        ),
        Panel(
            "Call error ratio",
            (q(ratio(f'rate({AI_CALLS}{{outcome!="ok"}}[{RATE}])', f"rate({AI_CALLS}[{RATE}])")),),
            "percentunit",
            description="Alert AutoDevOpsAiErrorRatio fires above 5 % for 10 minutes.",
        ),
        Panel(
            "Tokens by kind",
            (q(f"sum by (kind) (rate(autodevops_ai_tokens_total[{RATE}]))", "{{kind}}"),),
            "short",
            description="Tokens per second: prompt, output and thinking (billed as output).",
        ),
        Panel(
            "Estimated cost per hour by model",
            (q(f"sum by (model) (increase({AI_COST}[1h]))", "{{model}}"),),
            "currencyUSD",
        ),
        Panel("Call latency", quantiles("autodevops_ai_call_duration_seconds"), "s"),
        Panel(
            "AI steps by status (1 h)",
            (q("sum by (status) (increase(autodevops_ai_steps_total[1h]))", "{{status}}"),),
        ),
        Panel(
            "Quota rejections (1 h)",
            (
                q(
                    "sum by (source) (increase(autodevops_ai_quota_rejections_total[1h]))",
                    "{{source}}",
                ),
            ),
            width=6,
        ),
        Panel(
            "Recommendations dropped (1 h)",
            (q("sum(increase(autodevops_ai_dropped_recommendations_total[1h]))", "dropped"),),
            description="AI recommendations citing paths that are not in the tree.",
            width=6,
        ),
    ),
)

DELIVERIES = "autodevops_webhook_deliveries_total"
WEBHOOKS = Dashboard(
    "autodevops-webhooks",
    "AutoDevOps / Webhooks",
    "GitHub deliveries at the api (accepted, duplicate, refused) and in the ingest consumer.",
    (
        Panel(
            "Deliveries by outcome",
            (q(f"sum by (outcome) (rate({DELIVERIES}[{RATE}]))", "{{outcome}}"),),
            "reqps",
        ),
        Panel(
            "Accepted deliveries by event",
            (q(f'sum by (event) (rate({DELIVERIES}{{outcome="accepted"}}[{RATE}]))', "{{event}}"),),
            "reqps",
        ),
        Panel(
            "Bad signatures (5 min)",
            (q(f'sum(increase({DELIVERIES}{{outcome="bad_signature"}}[5m]))', "bad signatures"),),
            description="Alert AutoDevOpsWebhookBadSignatures fires above 20 in 5 minutes.",
            width=8,
        ),
        Panel(
            "Ingest outcomes",
            (
                q(
                    f"sum by (outcome) (rate(autodevops_webhook_ingested_total[{RATE}]))",
                    "{{outcome}}",
                ),
            ),
            "ops",
            width=8,
        ),
        Panel(
            "Waiting and dead-lettered",
            (
                q("max(autodevops_webhook_stream_entries)", "waiting"),
                q("max(autodevops_webhook_dead_letter_entries)", "dead letters"),
            ),
            width=8,
        ),
        Panel(
            "Intake latency",
            quantiles(HTTP_LATENCY, selector='{route="/webhooks/github"}'),
            "s",
            width=24,
        ),
    ),
)

OPERATIONS = Dashboard(
    "autodevops-operations",
    "AutoDevOps / Operations",
    "Backups, retention cleanup and the scheduler.",
    (
        Panel(
            "Since the last good backup",
            (q("time() - max(autodevops_backup_last_success_timestamp_seconds)"),),
            "s",
            kind="stat",
            description="Alert AutoDevOpsBackupStale fires past 26 hours.",
            width=6,
        ),
        Panel(
            "Newest backup verified",
            (q("max(autodevops_backup_verified)"),),
            kind="stat",
            description="1: restored into a scratch database and matched.",
            width=6,
        ),
        Panel(
            "Newest backup size",
            (q("max(autodevops_backup_size_bytes)"),),
            "bytes",
            kind="stat",
            width=6,
        ),
        Panel(
            "Scheduler leaders",
            (q("sum(autodevops_scheduler_leader)"),),
            kind="stat",
            description="Exactly 1 when healthy.",
            width=6,
        ),
        Panel(
            "Maintenance runs (1 d)",
            (
                q(
                    "sum by (task, outcome) (increase(autodevops_maintenance_runs_total[1d]))",
                    "{{task}} {{outcome}}",
                ),
            ),
        ),
        Panel(
            "Removed by cleanup (1 d)",
            (q("sum by (kind) (increase(autodevops_cleanup_removed_total[1d]))", "{{kind}}"),),
        ),
        Panel(
            "Backup duration (mean, 1 d)",
            (
                q(
                    "sum(increase(autodevops_backup_duration_seconds_sum[1d])) / "
                    "sum(increase(autodevops_backup_duration_seconds_count[1d]))",
                    "dump and verify",
                ),
            ),
            "s",
            width=8,
        ),
        Panel(
            "Schedule slots emitted and missed (1 d)",
            (
                q("sum by (task) (increase(autodevops_schedule_events_total[1d]))", "{{task}}"),
                q(
                    "sum by (task) (increase(autodevops_schedule_slots_missed_total[1d]))",
                    "{{task}} missed",
                ),
            ),
            width=8,
        ),
        Panel(
            "Latest slot per task",
            (
                q(
                    "max by (task) (autodevops_schedule_last_slot_timestamp_seconds) * 1000",
                    "{{task}}",
                ),
            ),
            "dateTimeAsIso",
            width=8,
        ),
    ),
)

RUNTIME = Dashboard(
    "autodevops-runtime",
    "AutoDevOps / Runtime",
    "Every api, worker and scheduler process: up, CPU, memory, file descriptors.",
    (
        Panel("Targets up", (q(f"up{{{APP}}}", "{{job}} {{instance}}"),)),
        Panel(
            "CPU",
            (q(f"rate(process_cpu_seconds_total{{{APP}}}[{RATE}])", "{{job}} {{instance}}"),),
            "percentunit",
            description="CPU seconds per second (1 = one core).",
        ),
        Panel(
            "Resident memory",
            (q(f"process_resident_memory_bytes{{{APP}}}", "{{job}} {{instance}}"),),
            "bytes",
        ),
        Panel(
            "Open file descriptors",
            (q(f"process_open_fds{{{APP}}}", "{{job}} {{instance}}"),),
        ),
        Panel(
            "File descriptors used of the limit",
            (q(f"process_open_fds{{{APP}}} / process_max_fds{{{APP}}}", "{{job}} {{instance}}"),),
            "percentunit",
            width=8,
        ),
        Panel(
            "Restarts (1 h)",
            (q(f"changes(process_start_time_seconds{{{APP}}}[1h])", "{{job}} {{instance}}"),),
            width=8,
        ),
        Panel(
            "Versions running",
            (q("count by (version) (autodevops_build_info)", "{{version}}"),),
            width=8,
        ),
        Panel(
            "Scrape duration",
            (q(f"scrape_duration_seconds{{{APP}}}", "{{job}} {{instance}}"),),
            "s",
            width=24,
        ),
    ),
)

DASHBOARDS = (OVERVIEW, QUEUES, AI, WEBHOOKS, OPERATIONS, RUNTIME)


def panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    height = 5 if panel.kind == "stat" else 8
    targets = [
        {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
        for i, (expr, legend) in enumerate(panel.queries)
    ]
    body: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": height, "w": panel.width, "x": x, "y": y},
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
    }
    if panel.kind == "stat":
        body["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    else:
        body["options"] = {"legend": {"displayMode": "list", "placement": "bottom"}}
    return body


def dashboard_json(dashboard: Dashboard) -> dict[str, Any]:
    panels, x, y, row_height = [], 0, 0, 0
    for i, panel in enumerate(dashboard.panels, start=1):
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        item = panel_json(panel, i, x, y)
        panels.append(item)
        x += panel.width
        row_height = max(row_height, item["gridPos"]["h"])
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["autodevops"],
        "timezone": "utc",
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "links": [
            {
                "type": "dashboards",
                "tags": ["autodevops"],
                "asDropdown": True,
                "title": "AutoDevOps",
            }
        ],
        "templating": {"list": []},
        "annotations": {"list": []},
        "panels": panels,
    }


def render(dashboard: Dashboard) -> str:
    return json.dumps(dashboard_json(dashboard), indent=2) + "\n"


def filename(dashboard: Dashboard) -> str:
    return dashboard.uid.removeprefix("autodevops-") + ".json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for dashboard in DASHBOARDS:
        path = OUT / filename(dashboard)
        text = render(dashboard)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    expected = {filename(d) for d in DASHBOARDS}
    extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in expected)
    if stale or extra:
        print(f"out of date: {stale}; not generated here: {extra}", file=sys.stderr)
        print("run: python scripts/grafana_dashboards.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
