"""`autodevops migrate`: apply pending migrations to DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from libs.common.db.migrate import migrate
from libs.common.db.pool import connection
from services.cli.common import database_settings


async def run_migrations(database_url: str) -> list[str]:
    async with connection(database_url) as conn:
        return await migrate(conn)


def _run(args: argparse.Namespace) -> int:
    applied = asyncio.run(run_migrations(database_settings().database_url))
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("migrate", help="apply database migrations")
    parser.set_defaults(run=_run)
