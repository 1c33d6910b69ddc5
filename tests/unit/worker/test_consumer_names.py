"""Stream consumer names: stable per process role, distinct between roles on one host."""

from __future__ import annotations

import socket

from services.worker.maintenance.consumer import default_name


def test_workers_of_different_queues_on_one_host_never_share_a_name() -> None:
    sync, analysis = default_name(["sync"]), default_name(["analysis"])
    assert sync != analysis
    assert sync.startswith(socket.gethostname() + "/")
    # A restart, or the same queues in another order, is the same consumer again.
    both = default_name(["sync", "analysis", "ci_generation"])
    assert both == default_name(["ci_generation", "analysis", "sync"])
