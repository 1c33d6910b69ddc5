"""Small helpers shared by CLI commands."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from libs.common.config import Settings


# The settings and logging modules load msgspec, OpenTelemetry and structlog: they are
# imported by the commands that use them, never by `autodevops scan` or `--help`.
def command_settings() -> Settings:
    """Settings for a one-shot command, with logging set up as the services do it
    (LOG_FORMAT, secret values redacted)."""
    from libs.common.config import load_settings
    from libs.common.logging import configure_logging

    settings = load_settings(os.environ)
    configure_logging(settings, "cli")
    return settings


def database_settings() -> Settings:
    """Settings for a command that talks to PostgreSQL only, so REDIS_URL may be unset."""
    from libs.common.config import load_settings
    from libs.common.logging import configure_logging

    # Settings requires a Redis URL; these commands never open it, so any value will do.
    overrides = {} if os.environ.get("REDIS_URL") else {"redis_url": "redis://unused.invalid"}
    settings = load_settings(os.environ, **overrides)
    configure_logging(settings, "cli")
    return settings


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def human_size(size: int | None) -> str:
    value = float(size or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
