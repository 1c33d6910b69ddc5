"""`autodevops token create|list|revoke`: the operator's API tokens (or a named user's in
a named organization), straight in the database."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import uuid
from typing import Any

from libs.common.db import orgs, tokens
from libs.common.db.pool import connection
from libs.common.schemas import TokenInfo
from services.cli.common import database_settings, fail

# The token `make run` prints: one live at a time, replaced (the old one revoked) on each
# start, and it expires, so restarts never pile up owner tokens that work forever.
DEV_TOKEN_NAME = "make run"
DEV_TOKEN_DAYS = 7


async def create_admin_token(
    database_url: str, login: str, org: str, name: str, *, expires_in_days: float | None = None
) -> str:
    expires = _expiry(expires_in_days)
    async with connection(database_url) as conn:
        user_id, org_id = await orgs.bootstrap_admin(conn, login=login, org_slug=org)
        token, _ = await tokens.create_token(conn, org_id, user_id, name, expires_at=expires)
        return token


async def replace_dev_token(database_url: str) -> tuple[str, dt.datetime]:
    """A new `make run` token for the operator; the previous ones are revoked with it."""
    expires = _expiry(DEV_TOKEN_DAYS)
    assert expires is not None
    async with connection(database_url) as conn:
        user_id, org_id = await orgs.bootstrap_admin(conn)
        async with conn.transaction():
            await tokens.revoke_all(conn, org_id, user_id, name=DEV_TOKEN_NAME)
            token, _ = await tokens.create_token(
                conn, org_id, user_id, DEV_TOKEN_NAME, expires_at=expires
            )
    return token, expires


def _expiry(days: float | None) -> dt.datetime | None:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None


class NotAMember(LookupError):
    """The login is not a member of that organization (nothing is created to list)."""


async def _list(database_url: str, login: str, org: str) -> list[TokenInfo]:
    async with connection(database_url) as conn:
        found = await orgs.membership_of(conn, login, org)
        if found is None:
            raise NotAMember(f"{login} is not a member of {org}")
        listed: list[TokenInfo] = []
        after = None
        while True:
            page = await tokens.list_tokens(conn, found[1], found[0], after=after, limit=100)
            listed += page.items
            if page.next is None:
                return listed
            after = page.next


async def _revoke(database_url: str, login: str, org: str, token_id: uuid.UUID) -> bool:
    async with connection(database_url) as conn:
        found = await orgs.membership_of(conn, login, org)
        return found is not None and await tokens.revoke_token(conn, found[1], found[0], token_id)


def _create(args: argparse.Namespace) -> int:
    url = database_settings().database_url
    token = asyncio.run(
        create_admin_token(
            url, args.login, args.org, args.name, expires_in_days=args.expires_in_days
        )
    )
    print(token)
    return 0


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _state(info: TokenInfo, now: dt.datetime) -> str:
    if info.revoked_at:
        return "revoked"
    return "expired" if info.expires_at and info.expires_at <= now else "live"


def _show(args: argparse.Namespace) -> int:
    try:
        found = asyncio.run(_list(database_settings().database_url, args.login, args.org))
    except NotAMember as exc:
        return fail(str(exc), 1)
    now = dt.datetime.now(dt.UTC)
    if not args.all:
        found = [t for t in found if _state(t, now) == "live"]
    print(f"{'ID':36}  {'PREFIX':14}  {'STATE':7}  {'CREATED':16}  {'EXPIRES':16}  NAME")
    for t in found:
        print(
            f"{t.id!s:36}  {t.prefix:14}  {_state(t, now):7}  {_when(t.created_at):16}  "
            f"{_when(t.expires_at):16}  {t.name}"
        )
    return 0


def _revoke_command(args: argparse.Namespace) -> int:
    try:
        token_id = uuid.UUID(args.id)
    except ValueError:
        return fail(f"{args.id!r} is not a token id (see `autodevops token list`)", 2)
    url = database_settings().database_url
    if not asyncio.run(_revoke(url, args.login, args.org, token_id)):
        return fail(f"no live token {token_id} for {args.login} in {args.org}", 1)
    print(f"revoked {token_id}")
    return 0


def _whose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--login", default="admin", help="user login (default: admin)")
    parser.add_argument("--org", default="default", help="organization slug (default: default)")


def register(commands: Any) -> None:
    token = commands.add_parser("token", help="manage API tokens (create, list, revoke)")
    sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create", help="create an owner token (user and organization are created if missing)"
    )
    _whose(create)
    create.add_argument("--name", default="cli", help="a label for the token")
    create.add_argument(
        "--expires-in-days", type=float, default=None, help="expire after this many days"
    )
    create.set_defaults(run=_create)
    listing = sub.add_parser("list", help="list a user's live tokens (never their values)")
    _whose(listing)
    listing.add_argument("--all", action="store_true", help="revoked and expired ones too")
    listing.set_defaults(run=_show)
    revoke = sub.add_parser("revoke", help="revoke a token by its id, at once")
    _whose(revoke)
    revoke.add_argument("id", help="the token's id (from `autodevops token list`)")
    revoke.set_defaults(run=_revoke_command)
