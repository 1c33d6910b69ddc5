"""The runbook link of a firing alert is absolute: Prometheus expands RUNBOOK_URL into the
`runbook_url` external label of the shipped config, and every rule's annotation starts
with it. (promtool's unit tests cannot set external labels; a real server can.)"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import aiohttp
import yaml

from tests.e2e.observability import prometheus

RUNBOOK = "https://wiki.example.com/autodevops/runbook.md"


async def test_a_firing_alert_links_the_runbook_by_its_absolute_url(tmp_path: Path) -> None:
    shipped = yaml.safe_load((prometheus.DEPLOY / "prometheus.yml").read_text())
    rules = yaml.safe_load((prometheus.DEPLOY / "alerts.yml").read_text())
    # AutoDevOpsApiDown fires when no api is discovered: nothing is scraped here. Without
    # its `for`, it fires at the first evaluation.
    [api_down] = [r for g in rules["groups"] for r in g["rules"] if r["alert"].endswith("ApiDown")]
    api_down.pop("for")
    rule_file = tmp_path / "rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "t", "rules": [api_down]}]}))
    config = {
        "global": {
            "evaluation_interval": "1s",
            "external_labels": shipped["global"]["external_labels"],
        },
        "rule_files": [str(rule_file)],
    }
    args = ("--enable-feature=expand-external-labels",)  # the default from Prometheus 3
    with prometheus.running(
        config, tmp_path / "prom", args, env={**os.environ, "RUNBOOK_URL": RUNBOOK}
    ) as prom:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while not (alerts := (await prom.api_get(http, "alerts"))["alerts"]):
                assert time.monotonic() < deadline, "the alert never fired"
                await asyncio.sleep(0.5)
    [alert] = alerts
    assert alert["annotations"]["runbook_url"] == f"{RUNBOOK}#incident-api-service-down"
