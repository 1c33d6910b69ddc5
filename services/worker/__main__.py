"""`python -m services.worker [--queue NAME ...]`: arq workers for the named queues (all)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from libs.common.config import ConfigError, load_settings
from libs.common.errortracking import init_error_tracking
from libs.common.logging import configure_logging
from libs.common.schemas import KINDS, JobKind
from libs.common.telemetry import setup_tracing
from services.worker.main import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="autodevops worker", description=__doc__)
    parser.add_argument(
        "--queue", action="append", choices=KINDS, help="queue to serve (repeatable; default all)"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    configure_logging(settings, "worker")
    init_error_tracking(settings, "worker")
    setup_tracing(settings, "autodevops-worker")
    queues: list[JobKind] = args.queue or list(KINDS)
    asyncio.run(serve(settings, queues))


if __name__ == "__main__":
    main()
