"""Alert rules pass promtool, and rules, dashboards and docs agree with each other and with
the metrics that exist. (tests/e2e/observability evaluates every expression for real.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import grafana_dashboards
from tests.unit.observability.test_metrics_catalogue import catalogue

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
# Series Prometheus itself makes; everything else a query reads must be ours.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds"}
METRIC_NAME = re.compile(
    r"\b((?:autodevops|process|python)_[a-z0-9_]+|up|scrape_duration_seconds)\b"
)


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: run scripts/ensure_prometheus.sh (make test does)"
    return found


def alert_rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def dashboards() -> dict[str, dict[str, Any]]:
    folder = GRAFANA / "dashboards"
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard title, panel title, PromQL) of every panel target."""
    return [
        (board["title"], panel["title"], target["expr"])
        for board in dashboards().values()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def heading_slugs(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown file."""
    slugs = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^a-z0-9 _-]", "", text).replace(" ", "-"))
    return slugs


def test_promtool_accepts_the_alert_rules() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(PROMETHEUS / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout


def test_promtool_accepts_the_single_host_config() -> None:
    result = subprocess.run(
        [promtool(), "check", "config", str(PROMETHEUS / "prometheus-host.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_severity_summary_and_a_runbook_section_that_exists() -> None:
    anchors = heading_slugs((ROOT / "docs" / "runbook.md").read_text())
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"], name
        base, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert base == "{{ $externalLabels.runbook_url }}", name  # RUNBOOK_URL, absolute
        assert anchor in anchors, f"{name}: no runbook section #{anchor}"


def alert_tests() -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())[
        "tests"
    ]
    return tests


def test_promtool_unit_tests_of_every_alert_pass() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", str(PROMETHEUS / "alerts_test.yml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_in_a_test_and_none_fires_on_the_healthy_stack() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    fired = {
        case["alertname"]
        for test in alert_tests()
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert fired == names
    [healthy] = [t for t in alert_tests() if t["name"] == "a healthy stack"]
    checks = healthy["alert_rule_test"]
    assert all(not case.get("exp_alerts") for case in checks)
    for eval_time in {case["eval_time"] for case in checks}:
        assert {c["alertname"] for c in checks if c["eval_time"] == eval_time} == names


def test_docs_alerts_lists_exactly_the_rules() -> None:
    text = (ROOT / "docs" / "alerts.md").read_text()
    documented = set(re.findall(r"^\| `(AutoDevOps\w+)`", text, re.MULTILINE))
    assert documented == {rule["alert"] for rule in alert_rules()}
    anchors = heading_slugs((ROOT / "docs" / "runbook.md").read_text())
    for anchor in re.findall(r"\(runbook\.md#([a-z0-9-]+)\)", text):
        assert anchor in anchors, anchor


def test_dashboards_are_generated_from_their_source() -> None:
    assert grafana_dashboards.main(["--check"]) == 0


def test_dashboards_cover_the_issue_and_use_the_provisioned_data_source() -> None:
    boards = dashboards()
    titles = {board["title"] for board in boards.values()}
    assert titles == {
        "AutoDevOps / Overview",
        "AutoDevOps / Queues and jobs",
        "AutoDevOps / AI usage and cost",
        "AutoDevOps / Webhooks",
        "AutoDevOps / Operations",
        "AutoDevOps / Runtime",
    }
    datasource = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    for board in boards.values():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), board["title"]
        for panel in board["panels"]:
            # Grafana draws nothing for a panel type it does not know.
            assert panel["type"] in ("timeseries", "stat"), (board["title"], panel["title"])
            assert panel["datasource"]["uid"] == uid
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid


def test_grafana_provisioning_reads_the_folder_compose_mounts() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/autodevops.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert f"./deploy/grafana/dashboards:{path}:ro" in compose["services"]["grafana"]["volumes"]


@pytest.mark.parametrize(
    "where",
    ["alerts", "dashboards"],
)
def test_every_metric_a_query_reads_exists(where: str) -> None:
    known = set(catalogue()) | PROMETHEUS_SERIES
    exprs = (
        [rule["expr"] for rule in alert_rules()]
        if where == "alerts"
        else [expr for _, _, expr in dashboard_queries()]
    )
    for expr in exprs:
        for name in METRIC_NAME.findall(expr):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in known or base in known, f"{name} in {expr!r}"
