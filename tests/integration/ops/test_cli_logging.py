"""One-shot commands log as the services do: LOG_FORMAT honoured, on stderr."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


async def test_migrate_logs_json_lines_when_asked(empty_database: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "LOG_FORMAT": "json"}
    env.pop("REDIS_URL", None)
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "migrate"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.strip()]
    applied = [line for line in lines if line["event"] == "migration applied"]
    assert applied
    assert {line["service"] for line in applied} == {"cli"}
    assert "migration applied" not in proc.stdout
