"""`autodevops remove-secrets`: credentials in a repository's whole history, listed or removed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from libs.ops.history import HistoryError, HistoryScan, scan_history
from libs.ops.rewrite import REPLACEMENT, RewriteError, rewrite
from services.cli.common import fail


def _report(scan: HistoryScan) -> None:
    print(
        f"scanned {scan.commits} commits and {scan.blobs} blobs "
        f"({scan.skipped_binary} binary and {scan.skipped_large} large blobs skipped)"
    )
    if not scan.findings:
        print("no secrets found in the history")
        return
    print(f"{len(scan.findings)} findings, {len(scan.values)} distinct values:")
    for f in sorted(scan.findings, key=lambda f: (f.path, f.line, f.rule)):
        commits = ", ".join(c[:12] for c in f.commits[:3])
        more = f" (+{len(f.commits) - 3} more)" if len(f.commits) > 3 else ""
        where = f.path if f.blob is None else f"{f.path}:{f.line}"
        print(f"  {f.severity:<8} {f.rule:<28} {where}  {f.preview}  in {commits or '?'}{more}")


def _confirmed(path: Path, scan: HistoryScan) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(
        f"Rewrite every commit of {path}, replacing {len(scan.values)} values with "
        f"{REPLACEMENT.decode()}? Commit ids will change. [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def _run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    try:
        scan = scan_history(path)
    except HistoryError as exc:
        return fail(str(exc))
    _report(scan)
    if not scan.findings:
        return 0
    if not args.apply:
        print(f"dry run: nothing changed. To rewrite: remove-secrets.sh --apply {path}")
        return 1
    if not args.yes and not _confirmed(path, scan):
        return fail("not confirmed: nothing changed (answer y in a terminal, or pass --yes)")
    try:
        rewrite(path, scan.values, force=args.force)
        after = scan_history(path)
    except (RewriteError, HistoryError) as exc:
        return fail(f"the rewrite failed: {exc}", 1)
    if after.findings:
        print("the rewrite left findings behind:")
        _report(after)
        return 1
    print(
        "history rewritten: a rescan of every commit finds no secret.\n"
        "next: push every ref with --force (e.g. `git push --force --mirror <url>`), have "
        "every clone re-cloned, and rotate the secrets: they were public while pushed."
    )
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "remove-secrets",
        help="list credentials in a git repository's whole history, or rewrite them away",
        description="Scans every blob reachable from any ref and every commit message with "
        "the analysis secret scanner. --apply rewrites history with git-filter-repo, "
        f"replacing each value with {REPLACEMENT.decode()}, then scans again. Work on a "
        "fresh clone (git clone --mirror).",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="list only (the default)")
    mode.add_argument("--apply", action="store_true", help="rewrite history")
    parser.add_argument("--yes", action="store_true", help="do not ask before rewriting")
    parser.add_argument(
        "--force",
        action="store_true",
        help="let git-filter-repo rewrite a repository that is not a fresh clone",
    )
    parser.add_argument("path", help="the repository (work tree or bare)")
    parser.set_defaults(run=_run)
