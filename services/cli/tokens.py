"""`autodevops token create`: an API token for the operator (or a named user and org)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from libs.common.db import orgs, tokens
from libs.common.db.pool import connection
from services.cli.common import database_settings


async def create_admin_token(database_url: str, login: str, org: str, name: str) -> str:
    async with connection(database_url) as conn:
        user_id, org_id = await orgs.bootstrap_admin(conn, login=login, org_slug=org)
        token, _ = await tokens.create_token(conn, org_id, user_id, name)
        return token


def _create(args: argparse.Namespace) -> int:
    url = database_settings().database_url
    token = asyncio.run(create_admin_token(url, args.login, args.org, args.name))
    print(token)
    return 0


def register(commands: Any) -> None:
    token = commands.add_parser("token", help="manage API tokens")
    sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create", help="create an owner token (user and organization are created if missing)"
    )
    create.add_argument("--login", default="admin", help="user login (default: admin)")
    create.add_argument("--org", default="default", help="organization slug (default: default)")
    create.add_argument("--name", default="cli", help="a label for the token")
    create.set_defaults(run=_create)
