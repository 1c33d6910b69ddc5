from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from libs.common.config import Settings
from libs.common.schemas import JobKind
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps

RunQueue = Callable[[JobKind], Awaitable[None]]


@pytest.fixture
async def deps(settings: Settings) -> AsyncIterator[Deps]:
    deps = await Deps.create(settings)
    yield deps
    await deps.close()


@pytest.fixture
def run_queue(settings: Settings, deps: Deps) -> RunQueue:
    """Run a real arq worker on one queue until it is empty (burst mode)."""

    async def run(kind: JobKind) -> None:
        worker = build_worker(settings, deps, kind, burst=True, poll_delay=0)
        try:
            await worker.main()
        finally:
            await stop_worker(worker)

    return run
