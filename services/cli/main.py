"""`autodevops`: run the platform, migrate, manage tokens, scan a checkout. Imports libs only.

Each command lives in its own module, imported only when that command runs: `autodevops
scan` in a CI job never loads boto3, redis or google-genai, so it starts in a fraction of
a second. To add a command, add a line to COMMANDS and give its module a
`register(commands)` that adds the command's parser (same help text as here).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from services.cli.common import fail

# command -> (the module that registers it, the one-line help `autodevops --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "dev": (
        "services.cli.dev",
        "run the whole platform locally (embedded PostgreSQL and Valkey)",
    ),
    "api": ("services.cli.serve", "run the HTTP API (aiohttp)"),
    "worker": ("services.cli.serve", "run arq workers (all queues unless --queue)"),
    "scheduler": ("services.cli.serve", "run the scheduler (backup, cleanup)"),
    "migrate": ("services.cli.db", "apply database migrations"),
    "token": ("services.cli.tokens", "manage API tokens (create, list, revoke)"),
    "scan": (
        "services.cli.scan",
        "analyse a local checkout (stack, CI, secrets, workflow security, score)",
    ),
    "ci": ("services.cli.rehearse", "CI workflows: rehearse one on this machine"),
    "backup": (
        "services.cli.ops",
        "dump the database to BACKUP_DIR (uploaded to BACKUP_S3_URL when set) and verify "
        "it by restoring a copy",
    ),
    "restore": ("services.cli.ops", "restore a backup into DATABASE_URL (or --database-url)"),
    "cleanup": ("services.cli.ops", "apply every retention rule now"),
    "rotate-key": (
        "services.cli.secrets",
        "re-encrypt stored credentials from ENCRYPTION_OLD_KEYS to ENCRYPTION_KEY",
    ),
    "rotate-gemini-key": (
        "services.cli.rotation",
        "check a new GEMINI_API_KEY (read from stdin) against the API, then save it",
    ),
    "rotate-db-password": (
        "services.cli.rotation",
        "give DATABASE_URL's role a new password and prove it connects",
    ),
    "remove-secrets": (
        "services.cli.history",
        "list credentials in a git repository's whole history, or rewrite them away",
    ),
    "verify-deployment": (
        "services.cli.verify",
        "check a running deployment: health, readiness, metrics, a signed webhook round "
        "trip and a token-authenticated read (exit 1 if a step fails)",
    ),
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: the command it names is complete and every other one is a
    name and a help line. Without `argv`, every command is complete (tests, docs)."""
    parser = argparse.ArgumentParser(
        prog="autodevops",
        description="AutoDevOps: keep the DevOps of GitHub repositories healthy.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
    if argv is not None:
        chosen = _command_in(argv)
        modules = [COMMANDS[chosen][0]] if chosen is not None else []
    for name, (module, help_text) in COMMANDS.items():
        if module not in modules:
            commands.add_parser(name, help=help_text)
    for module in modules:
        importlib.import_module(module).register(commands)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` names: its first word, as the top level takes no options but -h."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


def run(args: argparse.Namespace) -> int:
    """The command's exit code; what every command may meet is reported here, in one line."""
    try:
        return int(args.run(args) or 0)
    except Exception as exc:
        reported = _reported(exc)
        if reported is None:
            raise
        return fail(*reported)


def _reported(exc: Exception) -> tuple[str, int] | None:
    """(message, exit code) for the errors any command may meet; None for a bug.

    A client library's errors can only come from a command that imported it, so they are
    looked up among the loaded modules instead of importing asyncpg and redis for a scan.
    """
    config = sys.modules.get("libs.common.config")
    if config is not None and isinstance(exc, config.ConfigError):
        return str(exc), 2  # a variable missing or malformed: a usage error
    outside: list[type[BaseException]] = [OSError]
    asyncpg: Any = sys.modules.get("asyncpg")
    if asyncpg is not None:
        outside += [asyncpg.PostgresError, asyncpg.InterfaceError]
    redis: Any = sys.modules.get("redis.exceptions")
    if redis is not None:
        outside.append(redis.RedisError)
    if isinstance(exc, tuple(outside)):
        # PostgreSQL or Redis down or refusing us, a file out of reach: no traceback.
        return str(exc) or type(exc).__name__, 1
    return None


def main(argv: Sequence[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(arguments).parse_args(arguments)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
