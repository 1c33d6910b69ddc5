"""One-shot commands log as the services do: LOG_FORMAT honoured, on stderr."""

from __future__ import annotations

import asyncio
import json
import os

from tests.helpers import run_cli


async def test_migrate_logs_json_lines_when_asked(empty_database: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "LOG_FORMAT": "json"}
    env.pop("REDIS_URL", None)
    proc = await asyncio.to_thread(run_cli, "migrate", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.strip()]
    applied = [line for line in lines if line["event"] == "migration applied"]
    assert applied
    assert {line["service"] for line in applied} == {"cli"}
    assert "migration applied" not in proc.stdout
