"""A real Prometheus server (Debian's `prometheus` package) in a temp dir, on a free port."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from libs.common.embedded import free_port

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy" / "prometheus"
# What deploy/prometheus/prometheus-host.yml calls the api; the test's api replaces it.
SHIPPED_API = "127.0.0.1:8000"


def host_config(api: str, interval: str = "1s") -> dict[str, Any]:
    """The shipped single-host config, pointed at `api` and scraping every `interval`."""
    text = (DEPLOY / "prometheus-host.yml").read_text()
    assert SHIPPED_API in text
    config: dict[str, Any] = yaml.safe_load(text.replace(SHIPPED_API, api))
    config["global"] = {
        "scrape_interval": interval,
        "scrape_timeout": interval,
        "evaluation_interval": interval,
    }
    config["rule_files"] = [str(DEPLOY / name) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        for discovery in job.get("http_sd_configs", []):
            discovery["refresh_interval"] = interval
    return config


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    async def api(self, http: aiohttp.ClientSession, path: str, **form: str) -> Any:
        """A Prometheus HTTP API call; its `data` (an error answer fails the test)."""
        async with http.post(f"{self.url}/api/v1/{path}", data=form) as response:
            body = await response.json()
        assert body["status"] == "success", (path, form, body)
        return body["data"]

    async def api_get(self, http: aiohttp.ClientSession, path: str) -> Any:
        async with http.get(f"{self.url}/api/v1/{path}") as response:
            body = await response.json()
        assert body["status"] == "success", (path, body)
        return body["data"]

    async def query(self, http: aiohttp.ClientSession, expr: str) -> list[dict[str, Any]]:
        data = await self.api(http, "query", query=expr)
        assert data["resultType"] == "vector", (expr, data)
        result: list[dict[str, Any]] = data["result"]
        return result

    async def value(self, http: aiohttp.ClientSession, expr: str) -> float:
        """The single value `expr` returns (0 when it returns nothing)."""
        result = await self.query(http, expr)
        assert len(result) <= 1, (expr, result)
        return float(result[0]["value"][1]) if result else 0.0

    async def wait_for(
        self, http: aiohttp.ClientSession, expr: str, timeout: float = 60.0
    ) -> list[dict[str, Any]]:
        """Poll until `expr` returns something."""
        deadline = time.monotonic() + timeout
        while True:
            result = await self.query(http, expr)
            if result:
                return result
            assert time.monotonic() < deadline, f"no data for {expr} after {timeout} s"
            await asyncio.sleep(0.5)


@contextmanager
def running(
    config: dict[str, Any],
    workdir: Path,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: run scripts/ensure_prometheus.sh (make test does)"
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    port = free_port()
    log = workdir / "prometheus.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
                *extra_args,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield Prometheus(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prometheus exited: {log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"prometheus never became ready: {log.read_text()[-3000:]}")
