"""`autodevops scan PATH --generate-ci [--platform github|gitlab] [--write]`.

The scan command owns the parser and the Report; it calls `add_arguments` while building
its parser and `run` after the analysis. The workflow goes to stdout (so it can be
redirected to a file); its validation, explanation and notes go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from services.cli.common import fail

if TYPE_CHECKING:
    from libs.analysis.report import Report
    from libs.cigen import Generation, Rescorer

# libs.cigen.PLATFORMS, written out so that a scan without --generate-ci never loads CI
# generation (its validators pull in jsonschema and aiohttp); a test keeps them equal.
PLATFORMS = ("github", "gitlab")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("CI generation")
    group.add_argument(
        "--generate-ci",
        action="store_true",
        help="generate a hardened, validated CI file for the repository and print it",
    )
    group.add_argument(
        "--platform",
        choices=PLATFORMS,
        default=None,
        help="CI platform to generate for (default: github)",
    )
    group.add_argument(
        "--write",
        action="store_true",
        help="also put the generated file in place (never over a file we did not generate)",
    )
    group.add_argument(
        "--no-code-scanning",
        dest="code_scanning",
        action="store_false",
        help="leave out CodeQL / GitLab SAST (e.g. a private repository without code scanning)",
    )
    group.add_argument(
        "--default-branch",
        default=None,
        metavar="BRANCH",
        help="branch whose pushes run the whole CI (default: the checkout's origin/HEAD, "
        "else the branch the existing CI runs on, else main)",
    )


def misuse(args: argparse.Namespace) -> str | None:
    """Why the CI generation flags cannot be used as given, or None."""
    if args.generate_ci:
        return None
    given = [
        flag
        for flag, used in (
            ("--platform", args.platform is not None),
            ("--write", args.write),
            ("--no-code-scanning", not args.code_scanning),
            ("--default-branch", args.default_branch is not None),
        )
        if used
    ]
    return f"{', '.join(given)} only apply with --generate-ci" if given else None


def run(
    args: argparse.Namespace, report: Report, root: Path, rescore: Rescorer | None = None
) -> int:
    """0 when the generated file is valid (and written, with --write); 1 when it is not
    valid or cannot be written; 2 when there is nothing to generate. With `rescore`
    (e.g. `in_tree_copy(root, lambda copy: analysis.rescore(copy, report))`) the summary
    shows the score before and after."""
    if not getattr(args, "generate_ci", False):
        return 0
    from libs.cigen import NothingToGenerate, foreign_pipelines, generate

    try:
        generation = generate(
            report,
            existing=foreign_pipelines(report.ci.pipelines, root),
            platform=args.platform or "github",
            default_branch=args.default_branch or checkout_default_branch(root),
            code_scanning=args.code_scanning,
            rescore=rescore,
        )
    except NothingToGenerate as exc:
        return fail(f"cannot generate CI: {exc}")
    sys.stdout.write(generation.content)
    print_summary(generation, sys.stderr)
    if not generation.valid:
        if args.write:
            return fail("not written: the generated file did not pass validation", 1)
        return 1
    if args.write:
        return _write(generation, root)
    return 0


def checkout_default_branch(root: Path) -> str | None:
    """The remote's default branch as the clone at `root` recorded it (origin/HEAD); None
    where `root` is no clone of its own (a folder inside another clone is not that clone)."""
    import os
    import subprocess  # here: `scan` imports this module, and most scans never call git

    ceiling = {**os.environ, "GIT_CEILING_DIRECTORIES": str(root.resolve().parent)}
    try:
        done = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "symbolic-ref",
                "--quiet",
                "--short",
                "refs/remotes/origin/HEAD",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=ceiling,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    branch = done.stdout.strip().removeprefix("origin/")
    return branch if done.returncode == 0 and branch else None


def print_summary(generation: Generation, out: TextIO) -> None:
    status = "passed" if generation.valid else "FAILED"
    print(f"\n{generation.path} ({generation.platform}): validation {status}", file=out)
    for validator in generation.validation.validators:
        tool = f" [{validator.tool}]" if validator.tool else ""
        reason = f": {validator.reason}" if validator.reason else ""
        print(f"  {validator.name}: {validator.status}{tool}{reason}", file=out)
    for finding in generation.validation.findings:
        where = finding.location or (f"line {finding.line}" if finding.line else "")
        print(f"  - {finding.validator}/{finding.rule} {where}: {finding.message}", file=out)
    if generation.score is not None:
        print(f"  score: {generation.score.before} -> {generation.score.after}", file=out)
        for change in generation.score.checks:
            print(f"    {change.id}: {change.before} -> {change.after}", file=out)
    for line in generation.explanation:
        print(f"  {line}", file=out)
    for note in generation.notes:
        print(f"  note: {note}", file=out)


def _write(generation: Generation, root: Path) -> int:
    from libs.cigen import is_generated

    target = root / generation.path
    if target.is_symlink() or (target.exists() and not target.is_file()):
        return fail(f"not written: {generation.path} is not a regular file", 1)
    if target.exists() and not is_generated(target.read_text(errors="replace")):
        return fail(f"not written: {generation.path} exists and was not generated by AutoDevOps", 1)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(generation.content)
    except OSError as exc:
        return fail(f"not written: {generation.path}: {exc.strerror}", 1)
    print(f"wrote {generation.path}", file=sys.stderr)
    return 0
