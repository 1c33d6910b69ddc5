"""Re-encrypt stored credentials from old keys to the current ENCRYPTION_KEY.

Batches are committed one by one, so an interrupted rotation keeps what it did and a
second run carries on: the rows still to do are exactly those not under the current key.
Each new ciphertext is decrypted again before it replaces the old one, and the old key
stays configured until the report shows no row left under it, so no row is ever
unreadable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import msgspec
import structlog

from libs.common.crypto import CryptoKeyError, Keyring
from libs.common.db import encrypted
from libs.common.db.encrypted import EncryptedColumn, Sealed

log = structlog.get_logger(__name__)

Progress = Callable[[str, int], None]


class RotationReport(msgspec.Struct, kw_only=True):
    """Rows re-encrypted, rows that did not decrypt, and rows left per column and key id."""

    current_key_id: str
    rotated: dict[str, int] = {}
    undecryptable: dict[str, int] = {}
    left: dict[str, dict[str, int]] = {}

    @property
    def rows_left(self) -> int:
        return sum(n for by_key in self.left.values() for n in by_key.values())


async def remaining(conn: asyncpg.Connection, keyring: Keyring) -> dict[str, dict[str, int]]:
    """Rows not yet under the current key, per column and key id."""
    left: dict[str, dict[str, int]] = {}
    for column in encrypted.COLUMNS:
        counts = await encrypted.count_by_key(conn, column)
        left[column.name] = {k: n for k, n in counts.items() if k != keyring.current_id}
    return left


def _reseal(keyring: Keyring, column: EncryptedColumn, row: Sealed) -> tuple[bytes, str]:
    context = column.context(row.context_id)
    plaintext = keyring.decrypt(row.ciphertext, row.key_id, context)
    ciphertext, key_id = keyring.encrypt(plaintext, context)
    if keyring.decrypt(ciphertext, key_id, context) != plaintext:
        raise CryptoKeyError("a re-encrypted value did not decrypt back")
    return ciphertext, key_id


async def rotate_column(
    conn: asyncpg.Connection,
    keyring: Keyring,
    column: EncryptedColumn,
    report: RotationReport,
    *,
    batch_size: int,
    budget: int | None,
    pause_s: float,
    progress: Progress | None,
) -> int:
    """Rotate one column; returns how many rows it rotated (at most `budget`)."""
    old_ids = [k for k in keyring.key_ids if k != keyring.current_id]
    done = bad = 0
    after = None
    while budget is None or done < budget:
        size = batch_size if budget is None else min(batch_size, budget - done)
        async with conn.transaction():
            rows = await encrypted.batch_under_keys(conn, column, old_ids, after=after, limit=size)
            for row in rows:
                try:
                    ciphertext, key_id = _reseal(keyring, column, row)
                except CryptoKeyError as exc:
                    bad += 1
                    log.error(
                        "stored value does not decrypt",
                        column=column.name,
                        row_id=str(row.id),
                        key_id=row.key_id,
                        error=str(exc),
                    )
                    continue
                done += await encrypted.reseal(conn, column, row, ciphertext, key_id)
        if not rows:
            break
        after = rows[-1].id
        if progress is not None:
            progress(column.name, done)
        if pause_s:
            await asyncio.sleep(pause_s)
    report.rotated[column.name] = done
    report.undecryptable[column.name] = bad
    return done


async def rotate(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    batch_size: int = 500,
    limit: int | None = None,
    pause_s: float = 0.0,
    progress: Progress | None = None,
) -> RotationReport:
    """Re-encrypt up to `limit` rows (all when None) under the current key; then report."""
    report = RotationReport(current_key_id=keyring.current_id)
    budget = limit
    for column in encrypted.COLUMNS:
        done = await rotate_column(
            conn,
            keyring,
            column,
            report,
            batch_size=batch_size,
            budget=budget,
            pause_s=pause_s,
            progress=progress,
        )
        if budget is not None:
            budget -= done
    report.left = await remaining(conn, keyring)
    return report
