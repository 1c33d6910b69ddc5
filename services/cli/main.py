"""`autodevops`: run the platform, migrate, manage tokens, scan a checkout. Imports libs only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import asyncpg
from redis.exceptions import RedisError

from libs.common.config import ConfigError
from services.cli import (
    db,
    dev,
    history,
    ops,
    rehearse,
    rotation,
    scan,
    secrets,
    serve,
    tokens,
    verify,
)
from services.cli.common import fail


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodevops",
        description="AutoDevOps: keep the DevOps of GitHub repositories healthy.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (dev, serve, db, tokens, scan, rehearse, ops, secrets, rotation, history, verify):
        module.register(commands)
    return parser


def run(args: argparse.Namespace) -> int:
    """The command's exit code; what every command may meet is reported here, in one line."""
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:  # a variable missing or malformed: a usage error
        return fail(str(exc))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError) as exc:
        # PostgreSQL or Redis down or refusing us, a file out of reach: no traceback.
        return fail(str(exc) or type(exc).__name__, 1)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
