"""Restore a custom-format dump into a database, refusing to overwrite one by accident."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from libs.common.db import catalog
from libs.common.db.pool import connection
from libs.ops import files, pgtools
from libs.ops.pgtools import PgTools


class RestoreError(Exception):
    """The restore was refused or failed; the message says why and what to do."""


async def check_file(path: Path, expected_sha256: str | None = None) -> str:
    """The dump's sha256, after checking it against `expected_sha256` or its sidecar."""
    if not path.is_file():
        raise RestoreError(f"{path} does not exist")
    sha256, _ = await asyncio.to_thread(files.digest, path)
    expected = expected_sha256 or files.read_sidecar(path)
    if expected is not None and expected != sha256:
        raise RestoreError(f"{path} is corrupt: sha256 {sha256}, expected {expected}")
    return sha256


_DUMPED = re.compile(r"^;\s+Dumped (from database|by pg_dump) version: (\d+)", re.MULTILINE)


@dataclass(frozen=True)
class DumpOrigin:
    server_major: int  # the PostgreSQL the data came from
    pg_dump_major: int  # the pg_dump that wrote the archive (its format)


async def dump_origin(path: Path, timeout_s: float = 120) -> DumpOrigin | None:
    """Which PostgreSQL and pg_dump made `path`, from its table of contents; None when no
    client tools here can read it (then pg_restore itself reports why)."""
    tools = pgtools.newest()
    if tools is None:
        return None
    proc = await asyncio.create_subprocess_exec(
        tools.path("pg_restore"),
        "--list",
        str(path),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    found = {kind: int(major) for kind, major in _DUMPED.findall(out.decode(errors="replace"))}
    if proc.returncode != 0 or len(found) != 2:
        return None
    return DumpOrigin(found["from database"], found["by pg_dump"])


def refuse_older_server(path: Path, origin: DumpOrigin | None, server_major: int) -> None:
    """A dump restores only into its own major or a newer one: an older server would reject
    the archive (pg_restore cannot read a newer format) or its schema half-way."""
    if origin is None:
        return
    newest = max(origin.server_major, origin.pg_dump_major)
    if newest > server_major:
        raise RestoreError(
            f"{path.name} was dumped from PostgreSQL {origin.server_major} by pg_dump "
            f"{origin.pg_dump_major}; this server runs PostgreSQL {server_major}, which cannot "
            f"restore it: restore into PostgreSQL {newest} or newer (the platform runs one "
            "major everywhere: docs/deploy.md)"
        )


async def restore(
    url: str,
    path: Path,
    *,
    force: bool = False,
    pg_bin_dir: str | None = None,
    expected_sha256: str | None = None,
    timeout_s: float = 3600,
) -> int:
    """Restore `path` into the database at `url`; returns how many tables it now has.

    A database that already has tables is refused unless `force`; with `force` the
    dump's objects are dropped and recreated, in one transaction, so a failed restore
    leaves the database as it was.
    """
    await check_file(path, expected_sha256)
    async with connection(url) as conn:
        existing = await catalog.user_tables(conn)
        server_major = await catalog.server_major(conn)
    refuse_older_server(path, await dump_origin(path), server_major)
    tools = pgtools.pick(server_major, pg_bin_dir)
    if existing and not force:
        raise RestoreError(
            f"the database is not empty ({len(existing)} tables); "
            "restore into an empty database, or pass --force to overwrite it"
        )
    await pg_restore(tools, url, path, clean=bool(existing), timeout_s=timeout_s)
    async with connection(url) as conn:
        return len(await catalog.user_tables(conn))


async def pg_restore(
    tools: PgTools, url: str, path: Path, *, clean: bool, timeout_s: float
) -> None:
    target, env = pgtools.libpq_target(url)
    args = [
        tools.path("pg_restore"),
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={target}",
    ]
    if clean:
        args += ["--clean", "--if-exists"]
    try:
        await pgtools.run([*args, str(path)], env=env, timeout_s=timeout_s)
    except pgtools.PgToolsError as exc:
        raise RestoreError(str(exc)) from None
