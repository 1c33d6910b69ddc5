"""Users, organizations and memberships."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from libs.common.db import Conn, row_or_none, to_structs
from libs.common.db.paging import DEFAULT_LIMIT, Keyset, Page, Position, page_of, position_args
from libs.common.schemas import Role


async def upsert_user(
    conn: Conn,
    login: str,
    *,
    github_id: int | None = None,
    name: str | None = None,
    email: str | None = None,
    avatar_url: str | None = None,
) -> uuid.UUID:
    if github_id is not None:
        row = await conn.fetchrow(
            """
            INSERT INTO users (login, github_id, name, email, avatar_url)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (github_id) DO UPDATE
               SET login = EXCLUDED.login, name = EXCLUDED.name, email = EXCLUDED.email,
                   avatar_url = EXCLUDED.avatar_url, updated_at = now()
            RETURNING id
            """,
            login,
            github_id,
            name,
            email,
            avatar_url,
        )
    else:
        row = await conn.fetchrow(
            """
            INSERT INTO users (login, name, email) VALUES ($1, $2, $3)
            ON CONFLICT (login) DO UPDATE SET updated_at = now()
            RETURNING id
            """,
            login,
            name,
            email,
        )
    assert row is not None
    return uuid.UUID(str(row["id"]))


async def upsert_organization(
    conn: Conn, slug: str, name: str, *, personal_owner: uuid.UUID | None = None
) -> uuid.UUID:
    row = await conn.fetchrow(
        """
        INSERT INTO organizations (slug, name, personal_owner_id) VALUES ($1, $2, $3)
        ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
        RETURNING id
        """,
        slug,
        name,
        personal_owner,
    )
    assert row is not None
    return uuid.UUID(str(row["id"]))


async def add_member(
    conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> None:
    await conn.execute(
        """
        INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
        ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role
        """,
        organization_id,
        user_id,
        role,
    )


async def bootstrap_admin(
    conn: Conn, login: str = "admin", org_slug: str = "default"
) -> tuple[uuid.UUID, uuid.UUID]:
    """The operator's user and organization, created on first use; (user id, org id)."""
    async with conn.transaction():
        user_id = await upsert_user(conn, login)
        org_id = await upsert_organization(conn, org_slug, org_slug.capitalize())
        await add_member(conn, org_id, user_id, "owner")
    return user_id, org_id


class Organization(msgspec.Struct, kw_only=True):
    """An organization as one of its members sees it."""

    id: uuid.UUID
    slug: str
    name: str
    personal: bool
    role: Role
    created_at: dt.datetime


_ORG_OF_MEMBER = """
    SELECT o.id, o.slug, o.name, o.personal_owner_id IS NOT NULL AS personal, m.role,
           o.created_at
      FROM organizations o JOIN memberships m ON m.organization_id = o.id
"""


async def membership_of(
    conn: Conn, login: str, org_slug: str
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(user id, org id) when `login` is a member of the organization `org_slug`."""
    row = await conn.fetchrow(
        """
        SELECT u.id AS user_id, o.id AS org_id
          FROM users u
          JOIN memberships m ON m.user_id = u.id
          JOIN organizations o ON o.id = m.organization_id
         WHERE lower(u.login) = lower($1) AND o.slug = $2
        """,
        login,
        org_slug,
    )
    return (row["user_id"], row["org_id"]) if row else None


_OLDEST_FIRST = Keyset("o.created_at, o.id", descending=False)


async def organizations_of(
    conn: Conn, user_id: uuid.UUID, *, after: Position | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Organization]:
    rows = await conn.fetch(
        f"{_ORG_OF_MEMBER} WHERE m.user_id = $1 AND {_OLDEST_FIRST.after(2)}"
        f" ORDER BY {_OLDEST_FIRST.order_by} LIMIT $4",
        user_id,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, Organization), limit, lambda o: Position(o.created_at, o.id))


async def organization_for(
    conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID
) -> Organization | None:
    """The organization if `user_id` is a member of it, else None (the same as not existing)."""
    row = await conn.fetchrow(
        _ORG_OF_MEMBER + " WHERE o.id = $1 AND m.user_id = $2", organization_id, user_id
    )
    return row_or_none(row, Organization)


async def create_organization(
    conn: Conn, slug: str, name: str, owner_id: uuid.UUID
) -> Organization | None:
    """A new organization owned by `owner_id`; None when the slug is taken."""
    async with conn.transaction():
        org_id = await conn.fetchval(
            "INSERT INTO organizations (slug, name) VALUES ($1, $2)"
            " ON CONFLICT (slug) DO NOTHING RETURNING id",
            slug,
            name,
        )
        if org_id is None:
            return None
        await add_member(conn, org_id, owner_id, "owner")
    return await organization_for(conn, org_id, owner_id)


async def personal_owner(conn: Conn, organization_id: uuid.UUID) -> uuid.UUID | None:
    """Whose personal organization this is; None for a shared one."""
    owner: uuid.UUID | None = await conn.fetchval(
        "SELECT personal_owner_id FROM organizations WHERE id = $1", organization_id
    )
    return owner


async def slug_of(conn: Conn, organization_id: uuid.UUID) -> str | None:
    slug: str | None = await conn.fetchval(
        "SELECT slug FROM organizations WHERE id = $1", organization_id
    )
    return slug


async def ensure_personal_organization(
    conn: Conn, user_id: uuid.UUID, login: str, *, reserved: str
) -> uuid.UUID:
    """The user's personal organization (they own it), created on first sign-in.

    Its slug is the login when free, else the login with a number: an existing
    organization is never taken over because its slug matches someone's login, and the
    `reserved` slug (the operators' organization) is never given out.
    """
    async with conn.transaction():
        found: uuid.UUID | None = await conn.fetchval(
            "SELECT id FROM organizations WHERE personal_owner_id = $1", user_id
        )
        if found is None:
            base = login.lower()
            for n in range(1, 1000):
                slug = base if n == 1 else f"{base}-{n}"
                if slug == reserved:
                    continue
                found = await conn.fetchval(
                    "INSERT INTO organizations (slug, name, personal_owner_id)"
                    " VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING RETURNING id",
                    slug,
                    login,
                    user_id,
                )
                if found is not None:
                    break
            else:
                raise ValueError(f"no free organization slug for {login}")
        await conn.execute(
            "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')"
            " ON CONFLICT (organization_id, user_id) DO NOTHING",
            found,
            user_id,
        )
    return found
