"""The operator scripts, run as an operator would: real shells, real binaries, real servers."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from pytest_aiohttp import AiohttpServer

from libs.common.config import Settings
from libs.common.crypto import Keyring, generate_key
from libs.common.db import catalog
from libs.common.db.pool import connect
from libs.common.embedded import EmbeddedPostgres
from libs.ops import dbpassword, files
from libs.ops.restore import restore
from tests.conftest import Tenant
from tests.fakes.gemini_models import FakeGeminiModels
from tests.integration.ops.seed import seed_everything, snapshot_of

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "scripts"


async def script(
    name: str, *args: str, env: dict[str, str], stdin: str = "", file_limit_kib: int = 0
) -> tuple[int, str]:
    command = [str(SCRIPTS / name), *args]
    if file_limit_kib:
        command = ["bash", "-c", f'ulimit -f {file_limit_kib}; exec "$0" "$@"', *command]
    proc = await asyncio.create_subprocess_exec(
        *command,
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent", **env},
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = await proc.communicate(stdin.encode())
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def backup_with_script(env: dict[str, str]) -> Path:
    code, out = await script("backup_pg.sh", env=env)
    assert code == 0, out
    return Path(out.strip().splitlines()[-1])


@pytest.fixture
def backup_env(settings: Settings) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "BACKUP_DIR": str(files.backup_dir(settings))}


async def test_backup_and_restore_scripts_round_trip(
    settings: Settings,
    db: asyncpg.Connection,
    tenant: Tenant,
    backup_env: dict[str, str],
    empty_database: str,
) -> None:
    await seed_everything(db, tenant, analyses=12)
    before = await snapshot_of(settings.database_url)

    dump = await backup_with_script(backup_env)
    assert dump.parent == files.backup_dir(settings)
    assert files.read_sidecar(dump) == files.digest(dump)[0]
    assert dump.stat().st_mode & 0o777 == 0o600

    code, out = await script("restore_pg.sh", str(dump), env={"DATABASE_URL": empty_database})
    assert code == 0, out
    assert await snapshot_of(empty_database) == before

    code, out = await script("restore_pg.sh", str(dump), env={"DATABASE_URL": empty_database})
    assert code == 1
    assert "not empty" in out
    assert "--force" in out
    target = await connect(empty_database)
    try:
        await target.execute("DELETE FROM analyses")
    finally:
        await target.close()
    code, out = await script(
        "restore_pg.sh", "--force", "--database-url", empty_database, str(dump), env={}
    )
    assert code == 0, out
    assert await snapshot_of(empty_database) == before


async def test_a_dump_made_by_the_script_restores_with_the_library(
    settings: Settings,
    db: asyncpg.Connection,
    tenant: Tenant,
    backup_env: dict[str, str],
    empty_database: str,
) -> None:
    await seed_everything(db, tenant, analyses=3)
    await restore(empty_database, await backup_with_script(backup_env))
    assert await snapshot_of(empty_database) == await snapshot_of(settings.database_url)


async def test_backup_script_that_fails_midway_leaves_nothing(
    settings: Settings, db: asyncpg.Connection, tenant: Tenant, backup_env: dict[str, str]
) -> None:
    await seed_everything(db, tenant, analyses=300)
    code, out = await script("backup_pg.sh", env=backup_env, file_limit_kib=32)
    assert code != 0, out
    assert list(files.backup_dir(settings).iterdir()) == []


async def test_restore_script_refuses_a_corrupt_dump(
    db: asyncpg.Connection, tenant: Tenant, backup_env: dict[str, str], empty_database: str
) -> None:
    await seed_everything(db, tenant, analyses=2)
    dump = await backup_with_script(backup_env)
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    code, out = await script("restore_pg.sh", str(dump), env={"DATABASE_URL": empty_database})
    assert code == 1
    assert "corrupt" in out
    conn = await connect(empty_database)
    try:
        assert await catalog.user_tables(conn) == []
    finally:
        await conn.close()


async def test_rotate_encryption_key_script(db: asyncpg.Connection, settings: Settings) -> None:
    old, new = generate_key(), generate_key()
    user_id = await db.fetchval("INSERT INTO users (login) VALUES ('octo') RETURNING id")
    ciphertext, key_id = Keyring(old).encrypt(b"gho_x", f"github_credentials:{user_id}".encode())
    await db.execute(
        "INSERT INTO github_credentials (user_id, ciphertext, key_id) VALUES ($1, $2, $3)",
        user_id,
        ciphertext,
        key_id,
    )
    env = {"DATABASE_URL": settings.database_url, "ENCRYPTION_KEY": new}
    code, out = await script("rotate_encryption_key.sh", env=env)
    assert code == 1
    assert "ENCRYPTION_OLD_KEYS" in out

    code, out = await script("rotate_encryption_key.sh", env={**env, "ENCRYPTION_OLD_KEYS": old})
    assert code == 0, out
    assert "0 rows left under old keys" in out
    row = await db.fetchrow("SELECT ciphertext, key_id FROM github_credentials")
    assert row is not None
    context = f"github_credentials:{user_id}".encode()
    assert Keyring(new).decrypt(row["ciphertext"], row["key_id"], context) == b"gho_x"


@pytest.fixture
async def gemini(aiohttp_server: AiohttpServer) -> tuple[FakeGeminiModels, str]:
    fake = FakeGeminiModels(valid_keys={"AIzaSyNEW-key_0123456789abcdef"})
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/"))


async def test_rotate_gemini_key_switches_only_a_working_key(
    gemini: tuple[FakeGeminiModels, str], tmp_path: Path
) -> None:
    fake, base_url = gemini
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgresql://x\nGEMINI_API_KEY=AIzaOLD\n# note\n")
    env = {"GEMINI_BASE_URL": base_url}

    code, out = await script(
        "rotate_gemini_key.sh",
        "--env-file",
        str(env_file),
        env=env,
        stdin="AIzaSyWRONG_key_000000\n",
    )
    assert code == 1
    assert "API key not valid" in out
    assert "nothing was changed" in out
    assert "GEMINI_API_KEY=AIzaOLD" in env_file.read_text()

    code, out = await script(
        "rotate_gemini_key.sh",
        "--env-file",
        str(env_file),
        env=env,
        stdin="AIzaSyNEW-key_0123456789abcdef\n",
    )
    assert code == 0, out
    assert env_file.read_text() == (
        "DATABASE_URL=postgresql://x\nGEMINI_API_KEY=AIzaSyNEW-key_0123456789abcdef\n# note\n"
    )
    assert env_file.stat().st_mode & 0o777 == 0o600
    # The key travelled in the header, never in the URL (where proxies log it).
    assert [s["query"] for s in fake.seen] == ["", ""]
    assert fake.seen[-1]["header"] == "AIzaSyNEW-key_0123456789abcdef"


@pytest.fixture
def scram_server(tmp_path: Path) -> Iterator[str]:
    """A private PostgreSQL that asks every role but postgres for a SCRAM password."""
    server = EmbeddedPostgres(tmp_path / "pg", delete_on_exit=True)
    url = server.start("postgres")
    (server.pgdata / "pg_hba.conf").write_text(
        "local all postgres trust\nlocal all all scram-sha-256\n"
    )
    asyncio.run(_reload(url))
    try:
        yield url
    finally:
        server.stop()


async def _reload(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return dbpassword.with_password(urlunsplit(parts._replace(netloc=f"{user}@{host}")), password)


async def test_rotate_db_password_proves_the_new_one_and_retires_the_old(
    scram_server: str, tmp_path: Path
) -> None:
    admin = await asyncpg.connect(scram_server)
    try:
        await admin.execute("CREATE ROLE app LOGIN")
        await catalog.set_role_verifier(admin, "app", dbpassword.scram_verifier("first-pass"))
    finally:
        await admin.close()
    old_url = as_user(scram_server, "app", "first-pass")
    await (await asyncpg.connect(old_url)).close()  # our verifier is one PostgreSQL accepts
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(as_user(scram_server, "app", "wrong"))

    env_file = tmp_path / "app.env"
    code, out = await script(
        "rotate_db_password.sh", "--env-file", str(env_file), env={"DATABASE_URL": old_url}
    )
    assert code == 0, out
    assert "new one connects" in out
    assert "first-pass" not in out
    [line] = env_file.read_text().splitlines()
    new_url = line.removeprefix("DATABASE_URL=")
    assert urlsplit(new_url).password not in (None, "first-pass")
    conn = await asyncpg.connect(new_url)
    assert await conn.fetchval("SELECT current_user") == "app"
    await conn.close()
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(old_url)
