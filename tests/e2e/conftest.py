"""The services as real processes, on the test's own database and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from libs.common.embedded import free_port
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]]
    logs: Path

    def cli(self, *args: str) -> str:
        result = run_cli(*args, env=self.env, timeout=60)
        result.check_returncode()
        return result.stdout.strip()


def _wait_ready(url: str, procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited: {(logs / f'{name}.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("api never became ready")


@pytest.fixture
def stack_env() -> dict[str, str]:
    """Extra environment for the stack's processes; override it in a test module."""
    return {}


@pytest.fixture
def stack(
    database_url: str, redis_url: str, tmp_path: Path, stack_env: dict[str, str]
) -> Iterator[Stack]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "API_PORT": str(port),
        "WORKER_METRICS_PORT": "0",
        "SCHEDULER_METRICS_PORT": "0",
        "ALLOW_LOCAL_REPOS": "true",
        "LOG_FORMAT": "json",
        "ENVIRONMENT": "test",
        "WORKDIR": str(tmp_path / "work"),
        **stack_env,
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in ("api", "worker", "scheduler"):
            with open(logs / f"{name}.log", "wb") as out:
                procs[name] = subprocess.Popen(
                    [sys.executable, "-m", f"services.{name}"],
                    env=env,
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, procs, logs)
        yield Stack(url, env, procs, logs)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
