"""`autodevops`: run the platform, migrate, manage tokens, scan a checkout. Imports libs only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.cli import db, dev, history, ops, rotation, scan, secrets, serve, tokens


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodevops",
        description="AutoDevOps: keep the DevOps of GitHub repositories healthy.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (dev, serve, db, tokens, scan, ops, secrets, rotation, history):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    code = args.run(args)
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
