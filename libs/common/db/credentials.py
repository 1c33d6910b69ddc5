"""GitHub access tokens of users, stored encrypted (the caller encrypts and decrypts).

The ciphertext is bound to its row by the context b"github_credentials:<user id>"; the
key id beside it lets ENCRYPTION_KEY rotate.
"""

from __future__ import annotations

import uuid

import msgspec

from libs.common.db import Conn, row_or_none
from libs.common.db.encrypted import GITHUB_TOKENS


class StoredToken(msgspec.Struct, frozen=True, kw_only=True):
    ciphertext: bytes
    key_id: str
    scopes: str | None


def context(user_id: uuid.UUID) -> bytes:
    return GITHUB_TOKENS.context(user_id)


async def store_github_token(
    conn: Conn, user_id: uuid.UUID, ciphertext: bytes, key_id: str, scopes: str | None
) -> None:
    await conn.execute(
        """
        INSERT INTO github_credentials (user_id, ciphertext, key_id, scopes)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (user_id) DO UPDATE
           SET ciphertext = EXCLUDED.ciphertext, key_id = EXCLUDED.key_id,
               scopes = EXCLUDED.scopes, updated_at = now()
        """,
        user_id,
        ciphertext,
        key_id,
        scopes,
    )


async def github_token(conn: Conn, user_id: uuid.UUID) -> StoredToken | None:
    row = await conn.fetchrow(
        "SELECT ciphertext, key_id, scopes FROM github_credentials WHERE user_id = $1", user_id
    )
    return row_or_none(row, StoredToken)
