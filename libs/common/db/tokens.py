"""API tokens, stored as hashes; looked up by hash on every authenticated request."""

from __future__ import annotations

import datetime as dt
import uuid

from libs.common import crypto
from libs.common.db import Conn, to_struct, to_structs
from libs.common.db.paging import DEFAULT_LIMIT, Keyset, Page, Position, page_of, position_args
from libs.common.schemas import Principal, TokenInfo

_INFO = "id, name, prefix, created_at, last_used_at, expires_at, revoked_at"
# last_used_at is written at most this often per token, not on every request.
_TOUCH_EVERY = dt.timedelta(minutes=1)


async def create_token(
    conn: Conn,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    name: str,
    *,
    expires_at: dt.datetime | None = None,
) -> tuple[str, TokenInfo]:
    """Create a token; the plaintext is returned here and never again."""
    token = crypto.new_api_token()
    row = await conn.fetchrow(
        f"""
        INSERT INTO api_tokens (organization_id, user_id, name, token_hash, prefix, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING {_INFO}
        """,
        organization_id,
        user_id,
        name,
        crypto.hash_token(token),
        crypto.display_prefix(token),
        expires_at,
    )
    assert row is not None
    return token, to_struct(row, TokenInfo)


async def authenticate(conn: Conn, token: str) -> Principal | None:
    """The principal a live token stands for, or None (unknown, revoked, expired, no member)."""
    if not crypto.looks_like_token(token):
        return None
    row = await conn.fetchrow(
        """
        SELECT t.id, t.user_id, t.organization_id, m.role, t.last_used_at
          FROM api_tokens t
          JOIN memberships m ON m.organization_id = t.organization_id AND m.user_id = t.user_id
         WHERE t.token_hash = $1
           AND t.revoked_at IS NULL
           AND (t.expires_at IS NULL OR t.expires_at > now())
        """,
        crypto.hash_token(token),
    )
    if row is None:
        return None
    last = row["last_used_at"]
    if last is None or dt.datetime.now(dt.UTC) - last > _TOUCH_EVERY:
        await conn.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", row["id"])
    return Principal(
        user_id=row["user_id"],
        organization_id=row["organization_id"],
        role=row["role"],
        token_id=row["id"],
    )


_NEWEST_FIRST = Keyset("created_at, id")


async def list_tokens(
    conn: Conn,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    after: Position | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[TokenInfo]:
    rows = await conn.fetch(
        f"""
        SELECT {_INFO} FROM api_tokens
         WHERE organization_id = $1 AND user_id = $2 AND {_NEWEST_FIRST.after(3)}
         ORDER BY {_NEWEST_FIRST.order_by} LIMIT $5
        """,
        organization_id,
        user_id,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, TokenInfo), limit, lambda t: Position(t.created_at, t.id))


async def revoke_all(
    conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID, *, name: str | None = None
) -> int:
    """Every live token of a user in one organization (they left it, or were removed), or
    only those called `name`; how many."""
    status = await conn.execute(
        """
        UPDATE api_tokens SET revoked_at = now()
         WHERE organization_id = $1 AND user_id = $2 AND revoked_at IS NULL
           AND ($3::text IS NULL OR name = $3)
        """,
        organization_id,
        user_id,
        name,
    )
    return int(status.split()[-1])


async def revoke_token(
    conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID, token_id: uuid.UUID
) -> bool:
    status = await conn.execute(
        """
        UPDATE api_tokens SET revoked_at = now()
         WHERE id = $1 AND organization_id = $2 AND user_id = $3 AND revoked_at IS NULL
        """,
        token_id,
        organization_id,
        user_id,
    )
    return status.endswith(" 1")
