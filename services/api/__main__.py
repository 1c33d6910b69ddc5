"""`python -m services.api`: the HTTP gateway."""

from __future__ import annotations

import asyncio
import errno
import sys

import structlog
from aiohttp import web

from libs.common.config import ConfigError, load_settings
from libs.common.errortracking import init_error_tracking
from libs.common.logging import configure_logging
from libs.common.telemetry import setup_tracing
from services.api.app import create_app

LISTEN_BACKLOG = 4096


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (not on Windows): every request's socket and
    scheduling work then runs in C (bench.webhooks: ~8 % less CPU a delivery)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    configure_logging(settings, "api")
    init_error_tracking(settings, "api")
    setup_tracing(settings, "autodevops-api")
    app = create_app(settings)
    log = structlog.get_logger("services.api")
    log.info("api listening", url=f"http://{settings.api_host}:{settings.api_port}")
    try:
        web.run_app(
            app,
            loop=new_event_loop(),
            host=settings.api_host,
            port=settings.api_port,
            print=None,
            access_log=None,
            shutdown_timeout=10,
            # aiohttp's default of 128 made a thousand browsers opening their event
            # streams at once wait out SYN retries (2.3 s); the kernel caps it at
            # net.core.somaxconn.
            backlog=LISTEN_BACKLOG,
        )
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        sys.exit(port_in_use(settings.api_host, settings.api_port))


def port_in_use(host: str, port: int) -> str:
    return (
        f"api: {host}:{port} is already in use (another api or `make run`?);"
        " stop it or set API_PORT"
    )


if __name__ == "__main__":
    main()
