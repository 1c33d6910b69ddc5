"""`autodevops rotate-key`: re-encrypt stored credentials under the new ENCRYPTION_KEY."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from libs.common.config import keyring
from libs.common.crypto import CryptoKeyError, Keyring, generate_key
from libs.common.db.pool import connection
from libs.ops.rotation import RotationReport, remaining, rotate
from services.cli.common import database_settings, fail


async def _rotate(database_url: str, ring: Keyring, args: argparse.Namespace) -> RotationReport:
    def progress(column: str, done: int) -> None:
        print(f"  {column}: {done} re-encrypted", flush=True)

    async with connection(database_url) as conn:
        if args.status:
            return RotationReport(current_key_id=ring.current_id, left=await remaining(conn, ring))
        return await rotate(
            conn,
            ring,
            batch_size=args.batch_size,
            limit=args.limit,
            pause_s=args.pause_ms / 1000,
            progress=progress if args.verbose else None,
        )


def _print(report: RotationReport, ring: Keyring) -> None:
    print(f"current key id: {report.current_key_id}")
    for column, count in report.rotated.items():
        bad = report.undecryptable.get(column, 0)
        print(f"{column}: {count} re-encrypted" + (f", {bad} did NOT decrypt" if bad else ""))
    for column, by_key in report.left.items():
        for key_id, count in by_key.items():
            known = "" if key_id in ring.key_ids else " (key not configured!)"
            print(f"{column}: {count} rows left under key {key_id}{known}")
    if report.rows_left == 0:
        print("0 rows left under old keys: they can be removed from ENCRYPTION_OLD_KEYS")


def _run(args: argparse.Namespace) -> int:
    if args.generate:
        print(generate_key())
        return 0
    settings = database_settings()
    try:
        ring = keyring(settings)
    except CryptoKeyError as exc:
        return fail(str(exc))
    if ring is None:
        return fail("ENCRYPTION_KEY is required but not set")
    report = asyncio.run(_rotate(settings.database_url, ring, args))
    _print(report, ring)
    return 0 if report.rows_left == 0 else 1


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "rotate-key",
        help="re-encrypt stored credentials from ENCRYPTION_OLD_KEYS to ENCRYPTION_KEY",
        description="Re-encrypts in committed batches: safe to interrupt and run again. "
        "Exits 1 while rows remain under an old key.",
    )
    parser.add_argument("--generate", action="store_true", help="print a new key and exit")
    parser.add_argument("--status", action="store_true", help="only report rows left per key")
    parser.add_argument("--batch-size", type=_positive, default=500, help="rows per transaction")
    parser.add_argument("--limit", type=_positive, default=None, help="stop after N rows")
    parser.add_argument(
        "--pause-ms",
        type=_non_negative,
        default=0,
        help="sleep between batches, to spare the database",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print progress per batch")
    parser.set_defaults(run=_run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value
