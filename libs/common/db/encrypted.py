"""Columns encrypted with the keyring, read and rewritten in batches for key rotation.

Each column is named with the authenticated context its ciphertexts are sealed with;
the modules that write them (credentials, webhooks) take their context from here, so
rotation cannot drift from them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from libs.common.db import Conn


@dataclass(frozen=True)
class EncryptedColumn:
    name: str
    table: str
    ciphertext: str
    key_id: str
    context_column: str
    context_prefix: bytes

    def context(self, context_id: uuid.UUID) -> bytes:
        return self.context_prefix + str(context_id).encode()


GITHUB_TOKENS = EncryptedColumn(
    "github_credentials.ciphertext",
    "github_credentials",
    "ciphertext",
    "key_id",
    "user_id",
    b"github_credentials:",
)
WEBHOOK_SECRETS = EncryptedColumn(
    "repositories.webhook_secret",
    "repositories",
    "webhook_secret",
    "webhook_key_id",
    "id",
    b"repositories.webhook_secret:",
)
COLUMNS = (GITHUB_TOKENS, WEBHOOK_SECRETS)


class Sealed(NamedTuple):
    id: uuid.UUID
    context_id: uuid.UUID
    ciphertext: bytes
    key_id: str


async def batch_under_keys(
    conn: Conn,
    column: EncryptedColumn,
    key_ids: list[str],
    *,
    after: uuid.UUID | None,
    limit: int,
) -> list[Sealed]:
    """The next rows (by id, after `after`) sealed with one of `key_ids`, locked for update.

    Rows locked by another transaction are skipped, not waited for; they count as left.
    """
    rows = await conn.fetch(
        f"""
        SELECT id, {column.context_column} AS context_id, {column.ciphertext} AS ciphertext,
               {column.key_id} AS key_id
          FROM {column.table}
         WHERE {column.key_id} = ANY($1::text[]) AND {column.ciphertext} IS NOT NULL
           AND ($2::uuid IS NULL OR id > $2)
         ORDER BY id LIMIT $3
           FOR UPDATE SKIP LOCKED
        """,
        key_ids,
        after,
        limit,
    )
    return [Sealed(r["id"], r["context_id"], r["ciphertext"], r["key_id"]) for r in rows]


async def reseal(
    conn: Conn, column: EncryptedColumn, row: Sealed, ciphertext: bytes, key_id: str
) -> bool:
    """Replace a row's ciphertext if it still holds the one we read; False otherwise."""
    status = await conn.execute(
        f"""
        UPDATE {column.table} SET {column.ciphertext} = $3, {column.key_id} = $4
         WHERE id = $1 AND {column.key_id} = $2
        """,
        row.id,
        row.key_id,
        ciphertext,
        key_id,
    )
    return status.endswith(" 1")


async def count_by_key(conn: Conn, column: EncryptedColumn) -> dict[str, int]:
    rows = await conn.fetch(
        f"""
        SELECT {column.key_id} AS key_id, count(*) AS n FROM {column.table}
         WHERE {column.ciphertext} IS NOT NULL GROUP BY 1 ORDER BY 1
        """
    )
    return {str(r["key_id"]): int(r["n"]) for r in rows}
