"""`autodevops scan PATH`: analyse a local checkout with no services running.

Exit codes: 0 clean (or nothing at/above --fail-on), 1 a finding at or above --fail-on,
2 bad input (a path that is not a directory, an unwritable --output). With --generate-ci
the command prints generated CI instead of the report (see services/cli/cigen_cli.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO, get_args

from libs.analysis import Listing, analyze, rescore
from libs.analysis.render import SEVERITIES, Format, render, worst_at_or_above
from services.cli import cigen_cli
from services.cli.common import fail

FORMATS: tuple[str, ...] = get_args(Format)
PROGRESS_AFTER = 1.0  # seconds: a scan that ends sooner shows no progress at all


class Progress:
    """A one-line progress indicator on a terminal's stderr, shown only once the scan has
    run past a second and redrawn at most ten times a second; silent when stderr is a
    file or a pipe (CI logs stay clean)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()
        self.drawn = 0.0
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < PROGRESS_AFTER or now - self.drawn < 0.1:
            return
        self.drawn = now
        count = f"{done}/{total} files" if total else (f"{done} files" if done else "")
        self.out.write(f"\r\033[Kscanning: {stage} {count}")
        self.out.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.out.write("\r\033[K")
            self.out.flush()


def _run(args: argparse.Namespace) -> int:
    root = Path(args.path)
    if not root.is_dir():
        return fail(f"{root} is not a directory")
    problem = cigen_cli.misuse(args) or _report_flags_with_generation(args)
    if problem is not None:
        return fail(problem)
    if args.fail_on_missing and args.fail_on is None:
        return fail("--fail-on-missing needs --fail-on SEVERITY")
    listing = Listing(
        gitignore=args.gitignore, exclude=tuple(args.exclude), max_file_bytes=args.max_file_size
    )
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = analyze(root, listing=listing, progress=progress)
    finally:
        if progress is not None:
            progress.finish()
    if args.generate_ci:
        from libs.cigen import in_tree_copy  # CI generation is loaded only when asked for

        rescorer = in_tree_copy(root, lambda copy: rescore(copy, report, listing))
        return cigen_cli.run(args, report, root, rescore=rescorer)
    fmt: Format = args.format or "text"
    color = fmt == "text" and args.output is None and sys.stdout.isatty()
    text = render(report, fmt, color=color)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            return fail(f"cannot write {args.output}: {exc.strerror}")
    if args.fail_on is None:
        return 0
    failing = worst_at_or_above(report, args.fail_on, missing=args.fail_on_missing)
    if failing:
        print(f"{len(failing)} finding(s) at or above {args.fail_on}:", file=sys.stderr)
        for what in failing[:20]:
            print(f"  {what}", file=sys.stderr)
        return 1
    return 0


def _report_flags_with_generation(args: argparse.Namespace) -> str | None:
    if not args.generate_ci:
        return None
    given = [
        flag
        for flag, value in (
            ("--format", args.format),
            ("--output", args.output),
            ("--fail-on", args.fail_on),
        )
        if value is not None
    ]
    if not given:
        return None
    return (
        f"{', '.join(given)} shape the scan report, which --generate-ci replaces: the "
        "CI file goes to stdout (redirect it, or use --write)"
    )


def _size(value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of bytes: {value!r}") from None
    if size <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of bytes")
    return size


def register(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="analyse a local checkout (stack, CI, secrets, workflow security, score)",
        description="Analyse a directory offline and print a report. Needs no database, "
        "Redis or network. In a git work tree the files are those git lists (tracked, "
        "and untracked ones no .gitignore hides); elsewhere each folder's .gitignore is "
        "read on the way down.",
    )
    scan.add_argument("path", help="the directory to analyse (a checkout)")
    scan.add_argument(
        "--format", choices=FORMATS, default=None, help="report format (default: text)"
    )
    scan.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=None,
        metavar="SEVERITY",
        help="exit 1 when a finding at or above this severity exists "
        f"({', '.join(SEVERITIES)}): leaked secrets, workflow audit findings, and checks "
        "that found something wrong (dangerous or over-privileged workflows, unpinned "
        "actions or base images, committed binaries, containers running as root)",
    )
    scan.add_argument(
        "--fail-on-missing",
        action="store_true",
        help="with --fail-on: also fail for practices not in place at that severity "
        "(no LICENSE, SECURITY.md, README, CI, tests, lockfile, dependency updates...)",
    )
    scan.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out files and folders matching GLOB (gitignore syntax, relative to "
        "PATH, e.g. 'docs/' or '*.min.js'); repeatable",
    )
    scan.add_argument(
        "--no-gitignore",
        dest="gitignore",
        action="store_false",
        help="analyse every file, ignored ones included",
    )
    scan.add_argument("--output", "-o", default=None, help="write the report to this file")
    scan.add_argument(
        "--max-file-size",
        type=_size,
        default=2 * 1024 * 1024,
        help="files larger than this many bytes are skipped and counted (default 2 MiB)",
    )
    cigen_cli.add_arguments(scan)
    scan.set_defaults(run=_run)
