"""`autodevops rotate-gemini-key | rotate-db-password`: switch a secret only once it works."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg

from libs.common.config import ConfigError
from libs.common.db.pool import connect, connection
from libs.ops import dbpassword, envfile
from libs.ops.gemini_key import DEFAULT_BASE_URL, GeminiKeyError, check_key
from services.cli.common import database_settings, fail


def read_secret(prompt: str) -> str:
    """From the terminal without echo, or one line of stdin; never from the command line."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()


def _save(env_file: Path | None, name: str, value: str) -> None:
    if env_file is None:
        return
    envfile.set_vars(env_file, {name: value})
    print(f"{name} updated in {env_file}")


def _gemini(args: argparse.Namespace) -> int:
    base_url = os.environ.get("GEMINI_BASE_URL") or DEFAULT_BASE_URL
    key = read_secret("new Gemini API key: ")
    try:
        models = asyncio.run(check_key(key, base_url))
    except GeminiKeyError as exc:
        return fail(f"{exc}; nothing was changed", 1)
    wanted = os.environ.get("GEMINI_MODEL", "gemini-2.5-flash")
    print(f"the key works against {base_url}: {len(models)} models listed")
    if models and f"models/{wanted}" not in models:
        print(f"warning: GEMINI_MODEL {wanted} is not among them", file=sys.stderr)
    try:
        _save(args.env_file, "GEMINI_API_KEY", key)
    except envfile.EnvFileError as exc:
        return fail(str(exc))
    print("next: restart the workers so they read it (the api does not use Gemini)")
    return 0


async def _change_password(admin_url: str, app_url: str, role: str, password: str) -> str:
    async with connection(admin_url) as admin:
        await dbpassword.set_password(admin, role, password)
    new_url = dbpassword.with_password(app_url, password)
    async with connection(new_url) as conn:
        current = await conn.fetchval("SELECT current_user")
    if current != role:
        raise ConfigError(f"the new URL connects as {current}, not {role}")
    return new_url


async def _old_still_works(app_url: str) -> bool:
    try:
        conn = await connect(app_url)
    except (asyncpg.PostgresError, OSError):
        return False
    await conn.close()
    return True


def _db_password(args: argparse.Namespace) -> int:
    app_url = database_settings().database_url
    role = args.role or dbpassword.role_of(app_url)
    if not role:
        return fail("DATABASE_URL names no user; pass --role")
    admin_url = os.environ.get("ADMIN_DATABASE_URL") or app_url
    password = read_secret("new password: ") if args.password_stdin else dbpassword.new_password()
    try:
        new_url = asyncio.run(_change_password(admin_url, app_url, role, password))
    except (asyncpg.PostgresError, OSError, ConfigError, ValueError) as exc:
        return fail(f"the password of {role} was not switched: {exc}", 1)
    print(f"the password of {role} was changed and the new one connects")
    if asyncio.run(_old_still_works(app_url)):
        print(
            "warning: the old URL still connects: this server does not ask this connection "
            "for a password (see pg_hba.conf)",
            file=sys.stderr,
        )
    try:
        _save(args.env_file, "DATABASE_URL", new_url)
    except envfile.EnvFileError as exc:
        return fail(str(exc))
    if args.env_file is None and not args.password_stdin:
        # Generated here, so this is the only place the operator can read it.
        print(f"DATABASE_URL={new_url}")
    print("next: restart every service; open connections keep working until then")
    return 0


def register(commands: Any) -> None:
    gemini = commands.add_parser(
        "rotate-gemini-key",
        help="check a new GEMINI_API_KEY (read from stdin) against the API, then save it",
    )
    gemini.add_argument("--env-file", type=Path, help="write GEMINI_API_KEY into this file")
    gemini.set_defaults(run=_gemini)

    db = commands.add_parser(
        "rotate-db-password",
        help="give DATABASE_URL's role a new password and prove it connects",
        description="Connects as ADMIN_DATABASE_URL (default: DATABASE_URL itself, since a "
        "role may change its own password).",
    )
    db.add_argument("--role", help="the role to change (default: DATABASE_URL's user)")
    db.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password instead of generating one",
    )
    db.add_argument("--env-file", type=Path, help="write the new DATABASE_URL into this file")
    db.set_defaults(run=_db_password)
