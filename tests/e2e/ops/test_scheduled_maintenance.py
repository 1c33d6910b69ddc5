"""Scheduler and worker as real processes: a due slot becomes a verified backup and a cleanup."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from libs.common.db import backups as backups_db
from libs.common.db import maintenance as runs_db
from tests.e2e.conftest import ROOT

Procs = dict[str, subprocess.Popen[bytes]]


@pytest.fixture
def services(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[Procs, Path]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WORKER_METRICS_PORT": "0",
        "SCHEDULER_METRICS_PORT": "0",
        "LOG_FORMAT": "json",
        "ENVIRONMENT": "test",
        # Once a year, with a catch-up window longer than a year: the latest slot is due
        # the moment the scheduler starts, and no second one comes during the test.
        "SCHEDULE_BACKUP_CRON": "0 0 1 1 *",
        "SCHEDULE_CLEANUP_CRON": "0 0 1 1 *",
        "SCHEDULE_CATCHUP_SECONDS": str(400 * 24 * 3600),
        "BACKUP_DIR": str(tmp_path / "backups"),
    }
    procs: Procs = {}
    try:
        for name in ("worker", "scheduler"):
            with open(tmp_path / f"{name}.log", "wb") as out:
                procs[name] = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        f"services.{name}",
                        *(["--queue", "sync"] if name == "worker" else []),
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        yield procs, tmp_path
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def metrics_url(log: Path) -> str:
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "metrics listening":
                return str(entry["url"])
    raise AssertionError(f"no metrics url in {log}")


async def test_a_due_slot_becomes_a_verified_backup_and_a_cleanup(
    services: tuple[Procs, Path], db: asyncpg.Connection
) -> None:
    procs, logs = services
    deadline = time.monotonic() + 90
    runs: list[runs_db.Run] = []
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            assert proc.poll() is None, (logs / f"{name}.log").read_text()[-3000:]
        runs = [r for r in await runs_db.recent(db) if r.status == "succeeded"]
        if {r.task for r in runs} == {"backup", "cleanup"}:
            break
        await asyncio.sleep(0.5)
    assert {r.task for r in runs} == {"backup", "cleanup"}, (logs / "worker.log").read_text()[
        -3000:
    ]

    [backup] = await backups_db.list_all(db)
    assert (backup.status, backup.verified, backup.trigger) == ("succeeded", True, "schedule")
    assert Path(backup.path).parent == logs / "backups"
    assert Path(backup.path).is_file()
    with urllib.request.urlopen(metrics_url(logs / "worker.log"), timeout=5) as response:
        exported = response.read().decode()
    assert "autodevops_backup_verified 1.0" in exported
    assert f"autodevops_backup_size_bytes {float(backup.size_bytes or 0)}" in exported

    for proc in procs.values():
        proc.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        assert proc.wait(timeout=20) == 0, (logs / f"{name}.log").read_text()[-2000:]
