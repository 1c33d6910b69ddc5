"""The backup gauges come from the backups table at every scrape, on the api and on every
worker: a fresh stack says when its database was created (so AutoDevOpsBackupStale waits
26 h before a first backup is due), and a backup taken by hand shows at the next scrape
of a process that was running all along, without a restart."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request

from libs.common.config import Settings
from libs.ops.backup import take_backup
from services.api.app import create_app


def _gauge(text: str, name: str) -> float:
    match = re.search(rf"^autodevops_{name} (\S+)$", text, re.MULTILINE)
    assert match, name
    return float(match.group(1))


async def test_a_backup_taken_by_hand_shows_at_the_next_scrape(
    settings: Settings, aiohttp_client: Any
) -> None:
    client: TestClient[Request, Application] = await aiohttp_client(create_app(settings))
    fresh = await (await client.get("/metrics")).text()
    assert _gauge(fresh, "backup_last_success_timestamp_seconds") == 0
    created = _gauge(fresh, "database_created_timestamp_seconds")
    assert time.time() - 3600 < created <= time.time()  # migrated by this test's setup

    backup = await take_backup(settings, trigger="cli")  # what `autodevops backup` does
    assert backup.status == "succeeded", backup.error
    assert backup.finished_at is not None

    after = await (await client.get("/metrics")).text()
    assert _gauge(after, "backup_last_success_timestamp_seconds") == backup.finished_at.timestamp()
    assert _gauge(after, "backup_size_bytes") == backup.size_bytes
    assert _gauge(after, "database_created_timestamp_seconds") == created
