"""docker-compose.yml and the Prometheus config are valid and agree with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import check_jsonschema
import jsonschema
import yaml

from libs.common.config import Settings
from services.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
VENDOR = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_file_matches_the_compose_spec() -> None:
    schema = json.loads((VENDOR / "compose-spec.json").read_text())
    jsonschema.validate(_compose(), schema)


def test_compose_runs_one_worker_service_per_queue_and_real_commands() -> None:
    services = _compose()["services"]
    queues = {svc["command"][-1] for name, svc in services.items() if name.startswith("worker-")}
    assert queues == {"sync", "analysis", "ci_generation"}
    parser = build_parser()
    for name, service in services.items():
        command = service.get("command")
        if command and command[0] == "autodevops":
            parser.parse_args(command[1:])  # exits (fails the test) on an unknown command
        assert "image" in service or "build" in service, name
    assert "--appendonly" in services["redis"]["command"]


def test_every_app_variable_is_a_setting() -> None:
    env = _compose()["x-app"]["environment"]
    fields = set(Settings.__struct_fields__)
    unknown = [name for name in env if name.lower() not in fields]
    assert unknown == []


def test_prometheus_scrapes_every_service() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"autodevops-api", "autodevops-worker", "autodevops-scheduler"} <= jobs
    for rule_file in config["rule_files"]:
        local = ROOT / "deploy/prometheus" / Path(rule_file).name
        assert local.exists(), rule_file


def test_dockerfile_installs_the_locked_dependencies_without_dev_tools() -> None:
    text = (ROOT / "deploy/Dockerfile").read_text()
    assert re.search(r"uv sync --frozen --no-dev", text)
    assert "USER autodevops" in text


def test_each_service_is_health_checked_on_the_port_it_serves() -> None:
    compose = _compose()
    services = compose["services"]
    assert ".env" in [e["path"] for e in compose["x-app"]["env_file"]]
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    assert "127.0.0.1:8000/health" in dockerfile  # the api: the image's own check
    assert "healthcheck" not in services["api"]
    for name, service in services.items():
        command = service.get("command", [])
        if command[:2] == ["autodevops", "worker"]:
            assert "127.0.0.1:9101/health" in " ".join(service["healthcheck"]["test"]), name
        elif command[:2] == ["autodevops", "scheduler"]:
            assert "127.0.0.1:9102/health" in " ".join(service["healthcheck"]["test"]), name
    assert services["migrate"]["healthcheck"] == {"disable": True}
