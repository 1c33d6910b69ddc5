"""Stopping a worker whose Redis is already gone (Ctrl-C under `make run` reaches both)."""

from __future__ import annotations

import msgspec

from libs.common.config import Settings
from libs.common.embedded import free_port
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps


async def test_a_worker_stops_cleanly_when_redis_is_gone(settings: Settings, deps: Deps) -> None:
    gone = msgspec.structs.replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    worker = build_worker(gone, deps, "sync", burst=True, poll_delay=0)
    await stop_worker(worker)  # raised ConnectionError from deleting the health key
    assert worker._pool is None
