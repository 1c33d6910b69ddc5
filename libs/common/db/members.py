"""Members of an organization and their roles; every query is scoped to one organization."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from libs.common.db import Conn, orgs, row_or_none, to_structs
from libs.common.db.paging import DEFAULT_LIMIT, Keyset, Page, Position, page_of, position_args
from libs.common.schemas import Role


class Member(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    login: str
    name: str | None
    avatar_url: str | None
    role: Role
    joined_at: dt.datetime


class User(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None


_MEMBER = """
    SELECT u.id AS user_id, u.login, u.name, u.avatar_url, m.role, m.created_at AS joined_at
      FROM memberships m JOIN users u ON u.id = m.user_id
"""


_OLDEST_FIRST = Keyset("m.created_at, u.id", descending=False)


async def list_members(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    after: Position | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Member]:
    """Members in the order they joined."""
    rows = await conn.fetch(
        f"{_MEMBER} WHERE m.organization_id = $1 AND {_OLDEST_FIRST.after(2)}"
        f" ORDER BY {_OLDEST_FIRST.order_by} LIMIT $4",
        organization_id,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, Member), limit, lambda m: Position(m.joined_at, m.user_id))


async def get_member(conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID) -> Member | None:
    row = await conn.fetchrow(
        _MEMBER + " WHERE m.organization_id = $1 AND m.user_id = $2", organization_id, user_id
    )
    return row_or_none(row, Member)


async def get_user(conn: Conn, user_id: uuid.UUID) -> User | None:
    row = await conn.fetchrow(
        "SELECT id, login, name, email, avatar_url FROM users WHERE id = $1", user_id
    )
    return row_or_none(row, User)


async def user_id_by_login(conn: Conn, login: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM users WHERE lower(login) = lower($1)", login
    )
    return found


async def add(
    conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> Member | None:
    """Add a member; None when they already are one."""
    added = await conn.fetchval(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING user_id",
        organization_id,
        user_id,
        role,
    )
    return None if added is None else await get_member(conn, organization_id, user_id)


async def lock_owners(conn: Conn, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """The owners, locked until the transaction ends (the last one must stay)."""
    rows = await conn.fetch(
        "SELECT user_id FROM memberships WHERE organization_id = $1 AND role = 'owner' FOR UPDATE",
        organization_id,
    )
    return [r["user_id"] for r in rows]


async def set_role(conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> bool:
    status = await conn.execute(
        "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
        organization_id,
        user_id,
        role,
    )
    return status.endswith(" 1")


async def remove(conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    status = await conn.execute(
        "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
        organization_id,
        user_id,
    )
    return status.endswith(" 1")


async def upsert_github_user(
    conn: Conn,
    *,
    github_id: int,
    login: str,
    name: str | None,
    email: str | None,
    avatar_url: str | None,
) -> uuid.UUID:
    """The user of a GitHub account, created or refreshed; matched by GitHub id, never login.

    A login already held by another account (a local operator, or a GitHub account that
    renamed since) is not taken over: this account gets `<login>-gh<id>` instead.
    """
    for candidate in (login, f"{login}-gh{github_id}"):
        async with conn.transaction():
            taken = await conn.fetchval(
                "SELECT 1 FROM users WHERE lower(login) = lower($1)"
                " AND github_id IS DISTINCT FROM $2",
                candidate,
                github_id,
            )
            if taken:
                continue
            return await orgs.upsert_user(
                conn,
                candidate,
                github_id=github_id,
                name=name,
                email=email,
                avatar_url=avatar_url,
            )
    raise ValueError(f"no free login for GitHub account {github_id}")
