"""Small helpers shared by CLI commands."""

from __future__ import annotations

import os

from libs.common.config import ConfigError


def require_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"{name} is required but not set")
    return value
