"""Browser sessions after GitHub sign-in: a random cookie value, stored as its hash."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from libs.common import crypto
from libs.common.db import Conn
from libs.common.schemas import Principal

# last_seen_at is written at most this often per session.
_TOUCH_EVERY = dt.timedelta(minutes=5)


def new_session_token() -> str:
    # No API-token prefix: a session cookie is never accepted as a bearer token.
    return "ses_" + secrets.token_urlsafe(32)


async def create_session(
    conn: Conn, user_id: uuid.UUID, organization_id: uuid.UUID, ttl_seconds: int
) -> str:
    """A new session; the token is returned here and never again."""
    token = new_session_token()
    await conn.execute(
        """
        INSERT INTO sessions (token_hash, user_id, organization_id, expires_at)
        VALUES ($1, $2, $3, now() + make_interval(secs => $4))
        """,
        crypto.hash_token(token),
        user_id,
        organization_id,
        float(ttl_seconds),
    )
    return token


async def authenticate(conn: Conn, token: str) -> Principal | None:
    """The principal of a live session whose user is still a member of its organization."""
    if not token.startswith("ses_") or len(token) > 200:
        return None
    row = await conn.fetchrow(
        """
        SELECT s.id, s.user_id, s.organization_id, m.role, s.last_seen_at
          FROM sessions s
          JOIN memberships m ON m.organization_id = s.organization_id AND m.user_id = s.user_id
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
        """,
        crypto.hash_token(token),
    )
    if row is None:
        return None
    last = row["last_seen_at"]
    if last is None or dt.datetime.now(dt.UTC) - last > _TOUCH_EVERY:
        await conn.execute("UPDATE sessions SET last_seen_at = now() WHERE id = $1", row["id"])
    return Principal(
        user_id=row["user_id"], organization_id=row["organization_id"], role=row["role"]
    )


async def revoke(conn: Conn, token: str) -> bool:
    status = await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL",
        crypto.hash_token(token),
    )
    return status.endswith(" 1")


async def revoke_all(conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Every session of a user in one organization (they left it, or were removed)."""
    await conn.execute(
        "UPDATE sessions SET revoked_at = now()"
        " WHERE organization_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        organization_id,
        user_id,
    )
