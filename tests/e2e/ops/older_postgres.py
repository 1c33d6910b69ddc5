"""A PostgreSQL server of a major older than the platform's, for the restore guard's test:
the suite's own server when TEST_DATABASE_URL names an older one (CI's machine runs 15), else
a throwaway one started from Debian's packaged binaries (/usr/lib/postgresql/N/bin)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg

from libs.common.db import catalog
from libs.common.embedded import free_port
from tests.conftest import with_database


async def server_major(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await catalog.server_major(conn)
    finally:
        await conn.close()


def packaged_bin_dir(below: int) -> Path | None:
    """The newest /usr/lib/postgresql/N/bin with a server, N < `below`."""
    found = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        major = bin_dir.parent.name
        if major.isdigit() and int(major) < below and (bin_dir / "postgres").exists():
            found.append((int(major), bin_dir))
    return max(found)[1] if found else None


def _as_server_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as Debian's `postgres` user.
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str]) -> None:
    subprocess.run(_as_server_user(command), check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def throwaway_server(bin_dir: Path) -> Iterator[str]:
    """An admin URL of a fresh server from `bin_dir`, removed afterwards."""
    # Under /tmp: the server's user must be able to reach it.
    data = Path(tempfile.mkdtemp(prefix="autodevops-older-pg."))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
    port = free_port()
    pgdata = str(data / "pgdata")
    try:
        _run([str(bin_dir / "initdb"), "-D", pgdata, "-A", "trust", "-U", "postgres"])
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off"
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                pgdata,
                "-o",
                options,
                "-w",
                "-l",
                f"{data}/log",
                "start",
            ]
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            stop = [str(bin_dir / "pg_ctl"), "-D", pgdata, "-m", "immediate", "stop"]
            subprocess.run(_as_server_user(stop), check=False, capture_output=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)


@contextlib.asynccontextmanager
async def empty_database_on(admin_url: str) -> AsyncIterator[str]:
    name = f"ado_older_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await catalog.create_database(admin, name)
    finally:
        await admin.close()
    try:
        yield with_database(admin_url, name)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
