"""`autodevops api | worker | scheduler`: run one service in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from libs.common.schemas import KINDS


def service_command(service: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", f"services.{service}", *extra]


def _exec(command: list[str]) -> NoReturn:
    # Replace this process: signals reach the service directly, as if started by hand.
    os.execv(command[0], command)


def register(commands: Any) -> None:
    api = commands.add_parser("api", help="run the HTTP API (aiohttp)")
    api.set_defaults(run=lambda args: _exec(service_command("api")))

    worker = commands.add_parser("worker", help="run arq workers (all queues unless --queue)")
    worker.add_argument("--queue", action="append", choices=KINDS, help="repeatable")

    def run_worker(args: argparse.Namespace) -> int:
        extra = [f"--queue={q}" for q in args.queue or []]
        return _exec(service_command("worker", *extra))

    worker.set_defaults(run=run_worker)

    scheduler = commands.add_parser("scheduler", help="run the scheduler (backup, cleanup)")
    scheduler.set_defaults(run=lambda args: _exec(service_command("scheduler")))
