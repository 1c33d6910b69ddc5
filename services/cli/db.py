"""`autodevops migrate`: apply pending migrations to DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from libs.common.config import ConfigError
from libs.common.db.migrate import migrate
from libs.common.db.pool import connect
from services.cli.common import require_env


async def run_migrations(database_url: str) -> list[str]:
    conn = await connect(database_url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


def _run(args: argparse.Namespace) -> int:
    try:
        url = require_env("DATABASE_URL")
    except ConfigError as exc:
        print(f"error: {exc}")
        return 2
    applied = asyncio.run(run_migrations(url))
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("migrate", help="apply database migrations")
    parser.set_defaults(run=_run)
