"""`autodevops token create|list|revoke`, the token `make run` prints, and the api's
one-line refusal of a port already taken: the real commands against real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import sys
from pathlib import Path

import asyncpg

from libs.common.config import Settings
from libs.common.db import orgs, tokens
from services.cli.tokens import DEV_TOKEN_NAME, replace_dev_token

ROOT = Path(__file__).resolve().parents[2]


async def run(settings: Settings, *argv: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *argv,
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "LOG_FORMAT": "console",
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def cli(settings: Settings, *argv: str) -> tuple[int, str, str]:
    return await run(settings, "services.cli.main", *argv)


async def test_tokens_are_listed_and_revoked_from_the_cli(
    settings: Settings, db: asyncpg.Connection
) -> None:
    code, out, _ = await cli(settings, "token", "create", "--name", "ci", "--expires-in-days", "2")
    assert code == 0
    token = out.strip()
    principal = await tokens.authenticate(db, token)
    assert principal is not None
    code, listed, _ = await cli(settings, "token", "list")
    assert code == 0
    [row] = [line for line in listed.splitlines() if line.endswith("  ci")]
    token_id, prefix, state = row.split()[:3]
    assert (token_id, state) == (str(principal.token_id), "live")
    assert token.startswith(prefix)
    assert token not in listed
    code, out, _ = await cli(settings, "token", "revoke", token_id)
    assert (code, out.strip()) == (0, f"revoked {token_id}")
    assert await tokens.authenticate(db, token) is None
    _, live_only, _ = await cli(settings, "token", "list")
    assert token_id not in live_only
    _, everything, _ = await cli(settings, "token", "list", "--all")
    assert f"{token_id}  {prefix}" in everything
    assert "revoked" in everything
    code, _, err = await cli(settings, "token", "revoke", token_id)
    assert code == 1
    assert err.startswith("error: no live token")
    code, _, err = await cli(settings, "token", "list", "--login", "nobody")
    assert code == 1
    assert err.strip() == "error: nobody is not a member of default"


async def test_each_make_run_replaces_its_token_which_expires(
    settings: Settings, db: asyncpg.Connection
) -> None:
    first, _ = await replace_dev_token(settings.database_url)
    second, expires = await replace_dev_token(settings.database_url)
    assert await tokens.authenticate(db, first) is None  # revoked by the second start
    assert await tokens.authenticate(db, second) is not None
    assert dt.timedelta(days=6) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    user_id, org_id = await orgs.bootstrap_admin(db)
    listed = (await tokens.list_tokens(db, org_id, user_id)).items
    mine = [t for t in listed if t.name == DEV_TOKEN_NAME]
    assert [t.revoked_at is None for t in mine] == [True, False]
    assert all(t.expires_at is not None for t in mine)


async def test_a_port_in_use_is_a_one_line_error(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = await run(settings, "services.api", API_HOST="127.0.0.1", API_PORT=str(port))
    assert code == 1
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"api: 127.0.0.1:{port} is already in use (another api or `make run`?);"
        " stop it or set API_PORT"
    )
