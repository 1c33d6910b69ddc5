"""deploy/alertmanager passes `amtool check-config` (templates included), pages critical
alerts on PagerDuty and sends warnings to the chat webhook, and holds no secret value."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ALERTMANAGER = ROOT / "deploy" / "alertmanager"
MOUNT = "/etc/alertmanager"  # where compose and the chart mount this folder


def amtool() -> str:
    found = shutil.which("amtool")
    assert found, "amtool is missing: run scripts/ensure_alertmanager.sh (make test does)"
    return found


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The config as mounted, with its paths pointing at a copy of the folder."""
    shutil.copytree(ALERTMANAGER, tmp_path / "alertmanager")
    text = (ALERTMANAGER / "alertmanager.yml").read_text()
    path = tmp_path / "alertmanager" / "alertmanager.yml"
    path.write_text(text.replace(MOUNT, str(tmp_path / "alertmanager")))
    return path


def test_amtool_accepts_the_config_and_its_templates(config: Path) -> None:
    result = subprocess.run(
        [amtool(), "check-config", str(config)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert " - 1 templates" in result.stdout  # the template glob matched and parsed


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (["severity=critical", "alertname=AutoDevOpsApiDown"], "pagerduty,chat"),
        (["severity=warning", "alertname=AutoDevOpsQueueBacklog"], "chat"),
    ],
)
def test_critical_pages_and_warnings_go_to_chat(
    config: Path, labels: list[str], receivers: str
) -> None:
    result = subprocess.run(
        [amtool(), "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == receivers


def test_every_receiver_reads_its_secret_from_a_file_and_links_the_runbook() -> None:
    data = yaml.safe_load((ALERTMANAGER / "alertmanager.yml").read_text())
    receivers = {r["name"]: r for r in data["receivers"]}
    [pagerduty] = receivers["pagerduty"]["pagerduty_configs"]
    [chat] = receivers["chat"]["slack_configs"]
    assert pagerduty["routing_key_file"].startswith(f"{MOUNT}/secrets/")
    assert chat["api_url_file"].startswith(f"{MOUNT}/secrets/")
    assert not {"routing_key", "service_key"} & set(pagerduty)
    assert "api_url" not in chat
    assert "autodevops.runbook" in pagerduty["links"][0]["href"]
    assert "autodevops.runbook" in chat["title_link"]
    template = (ALERTMANAGER / "templates" / "autodevops.tmpl").read_text()
    assert ".Annotations.runbook_url" in template
