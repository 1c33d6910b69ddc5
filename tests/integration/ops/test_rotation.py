"""Key rotation: 1,000 credentials, interrupted halfway by SIGKILL, resumed, all readable."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from libs.common.config import Settings
from libs.common.crypto import Keyring, generate_key
from libs.common.db import catalog
from libs.common.db.encrypted import COLUMNS
from libs.ops import pgtools
from libs.ops.rotation import rotate
from tests.conftest import Tenant
from tests.integration.ops.seed import add_repository

ROOT = Path(__file__).resolve().parents[3]
CREDENTIALS = 1000
REPOSITORIES = 40
GITHUB, WEBHOOK = COLUMNS


async def seed_secrets(
    db: asyncpg.Connection, tenant: Tenant, ring: Keyring
) -> dict[tuple[str, uuid.UUID], bytes]:
    """Credentials and webhook secrets sealed with `ring`, as the gateway stores them."""
    plain: dict[tuple[str, uuid.UUID], bytes] = {}
    users = await db.fetch(
        "INSERT INTO users (login) SELECT 'user' || n FROM generate_series(1, $1) n RETURNING id",
        CREDENTIALS,
    )
    rows = []
    for user in users:
        token = f"gho_{secrets.token_urlsafe(27)}".encode()
        ciphertext, key_id = ring.encrypt(token, GITHUB.context(user["id"]))
        rows.append((user["id"], ciphertext, key_id))
        plain[(GITHUB.name, user["id"])] = token
    await db.executemany(
        "INSERT INTO github_credentials (user_id, ciphertext, key_id) VALUES ($1, $2, $3)", rows
    )
    for n in range(REPOSITORIES):
        repo_id = await add_repository(db, tenant, f"acme/secret{n}")
        secret = secrets.token_hex(20).encode()
        ciphertext, key_id = ring.encrypt(secret, WEBHOOK.context(repo_id))
        await db.execute(
            "UPDATE repositories SET webhook_secret = $2, webhook_key_id = $3 WHERE id = $1",
            repo_id,
            ciphertext,
            key_id,
        )
        plain[(WEBHOOK.name, repo_id)] = secret
    return plain


async def stored(
    db: asyncpg.Connection,
) -> dict[tuple[str, uuid.UUID], tuple[uuid.UUID, bytes, str]]:
    found = {}
    for r in await db.fetch("SELECT id, user_id, ciphertext, key_id FROM github_credentials"):
        found[(GITHUB.name, r["user_id"])] = (r["user_id"], r["ciphertext"], r["key_id"])
    for r in await db.fetch(
        "SELECT id, webhook_secret, webhook_key_id FROM repositories"
        " WHERE webhook_secret IS NOT NULL"
    ):
        found[(WEBHOOK.name, r["id"])] = (r["id"], r["webhook_secret"], r["webhook_key_id"])
    return found


async def assert_all_decrypt(
    db: asyncpg.Connection, ring: Keyring, plain: dict[tuple[str, uuid.UUID], bytes]
) -> dict[str, int]:
    by_key: dict[str, int] = {}
    columns = {c.name: c for c in COLUMNS}
    rows = await stored(db)
    assert rows.keys() == plain.keys()
    for (column, row_key), (context_id, ciphertext, key_id) in rows.items():
        context = columns[column].context(context_id)
        assert ring.decrypt(ciphertext, key_id, context) == plain[(column, row_key)]
        by_key[key_id] = by_key.get(key_id, 0) + 1
    return by_key


def rotate_key_command(
    settings: Settings, new: str, old: str, *extra: str
) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": settings.database_url,
        "ENCRYPTION_KEY": new,
        "ENCRYPTION_OLD_KEYS": old,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "rotate-key", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def count_under(db: asyncpg.Connection, key_id: str) -> int:
    return int(
        await db.fetchval(
            """
            SELECT (SELECT count(*) FROM github_credentials WHERE key_id = $1)
                 + (SELECT count(*) FROM repositories WHERE webhook_key_id = $1)
            """,
            key_id,
        )
    )


async def test_rotation_killed_halfway_resumes_and_leaves_no_plaintext(
    settings: Settings, db: asyncpg.Connection, tenant: Tenant, tmp_path: Path
) -> None:
    old_key, new_key = generate_key(), generate_key()
    old_ring, new_only = Keyring(old_key), Keyring(new_key)
    both = Keyring(new_key, old_key)
    plain = await seed_secrets(db, tenant, old_ring)
    total = CREDENTIALS + REPOSITORIES

    proc = rotate_key_command(settings, new_key, old_key, "--batch-size", "20", "--pause-ms", "25")
    try:
        while (done := await count_under(db, new_only.current_id)) < 300:
            assert proc.poll() is None, proc.communicate()[0]
            await asyncio.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    done = await count_under(db, new_only.current_id)
    assert 300 <= done < total
    # Mid-rotation every row reads with the configured keys: committed batches are new,
    # the rest untouched.
    assert await assert_all_decrypt(db, both, plain) == {
        new_only.current_id: done,
        old_ring.current_id: total - done,
    }

    resumed = rotate_key_command(settings, new_key, old_key, "--batch-size", "100")
    output, _ = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, output
    assert f"github_credentials.ciphertext: {CREDENTIALS - min(done, CREDENTIALS)}" in output
    assert "0 rows left under old keys" in output

    # The old key is no longer needed to read anything.
    assert await assert_all_decrypt(db, new_only, plain) == {new_only.current_id: total}

    tools = pgtools.pick(await catalog.server_major(db))
    target, env = pgtools.libpq_target(settings.database_url)
    dump_path = tmp_path / "plain.sql"
    await pgtools.run(
        [tools.path("pg_dump"), "--format=plain", f"--file={dump_path}", f"--dbname={target}"],
        env=env,
        timeout_s=60,
    )
    dump = dump_path.read_bytes()
    assert b"COPY public.github_credentials" in dump
    # bytea columns are dumped as \x-prefixed hex, text as it is: look for both forms.
    leaked = [v for v in plain.values() if v in dump or v.hex().encode() in dump]
    assert leaked == []
    assert old_key.encode() not in dump
    assert new_key.encode() not in dump


async def test_rows_that_cannot_be_rotated_are_reported_not_lost(
    db: asyncpg.Connection, tenant: Tenant
) -> None:
    old_key, new_key, lost_key = generate_key(), generate_key(), generate_key()
    plain = await seed_secrets(db, tenant, Keyring(old_key))
    lost = Keyring(lost_key)
    # One row sealed with a key nobody configured, one copied to the wrong row (its
    # context no longer matches): both must stay as they are and be reported.
    orphan_user, other_user = list(
        await db.fetch("SELECT user_id FROM github_credentials ORDER BY user_id LIMIT 2")
    )
    ciphertext, key_id = lost.encrypt(b"gho_orphan", GITHUB.context(orphan_user["user_id"]))
    await db.execute(
        "UPDATE github_credentials SET ciphertext = $2, key_id = $3 WHERE user_id = $1",
        orphan_user["user_id"],
        ciphertext,
        key_id,
    )
    await db.execute(
        """
        UPDATE github_credentials SET ciphertext = (
            SELECT ciphertext FROM github_credentials ORDER BY user_id DESC LIMIT 1)
         WHERE user_id = $1
        """,
        other_user["user_id"],
    )
    ring = Keyring(new_key, old_key)

    report = await rotate(db, ring, batch_size=64)

    assert report.rotated == {GITHUB.name: CREDENTIALS - 2, WEBHOOK.name: REPOSITORIES}
    assert report.undecryptable == {GITHUB.name: 1, WEBHOOK.name: 0}
    assert report.left == {
        GITHUB.name: {Keyring(old_key).current_id: 1, lost.current_id: 1},
        WEBHOOK.name: {},
    }
    assert report.rows_left == 2
    assert len(plain) == CREDENTIALS + REPOSITORIES


async def test_limit_stops_early_and_a_second_run_finishes(
    db: asyncpg.Connection, tenant: Tenant
) -> None:
    old_key, new_key = generate_key(), generate_key()
    plain = await seed_secrets(db, tenant, Keyring(old_key))
    ring = Keyring(new_key, old_key)
    first = await rotate(db, ring, batch_size=300, limit=1020)
    assert sum(first.rotated.values()) == 1020
    assert first.rows_left == len(plain) - 1020
    second = await rotate(db, ring, batch_size=300)
    assert sum(second.rotated.values()) == len(plain) - 1020
    assert second.rows_left == 0
    assert await assert_all_decrypt(db, Keyring(new_key), plain) == {
        Keyring(new_key).current_id: len(plain)
    }
