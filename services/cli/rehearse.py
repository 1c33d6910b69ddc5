"""`autodevops ci rehearse PATH [--workflow FILE]`: run a workflow's jobs on this machine
against a throwaway copy of the checkout (libs/cigen/rehearse).

It executes the repository's code: only ever run it on request. Exit codes: 0 every
rehearsed step passed, 1 a step failed, 2 bad input (no directory, no workflow, a job
that does not exist, nothing to generate).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from services.cli.common import fail


def _run(args: argparse.Namespace) -> int:
    # Imported here: the rehearsal and the analysis are heavy, and most commands need neither.
    import msgspec

    from libs.cigen.rehearse import BadDate, BadWorkflow, StepResult, rehearse
    from libs.cigen.rehearse.render import render_text, step_line

    root = Path(args.path)
    if not root.is_dir():
        return fail(f"{root} is not a directory")
    if args.step_timeout <= 0:
        return fail("--step-timeout must be a positive number of seconds")
    loaded = _workflow(args, root)
    if isinstance(loaded, int):
        return loaded
    name, content = loaded

    # A TERM (a time limit around the command) unwinds like Ctrl-C: the step's processes
    # are killed, the stand-in servers stopped and the throwaway directory removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    def progress(job: str, step: StepResult) -> None:
        print(f"{job}:{step_line(step)}", file=sys.stderr, flush=True)

    try:
        rehearsal = rehearse(
            root,
            content,
            workflow=name,
            jobs=args.job or (),
            step_timeout=args.step_timeout,
            keep=args.keep,
            allow_other_minor=args.allow_other_minor,
            tool_cache=Path(args.tool_cache) if args.tool_cache else None,
            on_step=progress if args.format == "text" and not args.quiet else None,
            as_of=args.as_of,
        )
    except BadWorkflow as exc:
        return fail(f"{name}: {exc}")
    except BadDate as exc:
        return fail(str(exc))
    if args.format == "json":
        sys.stdout.write(msgspec.json.encode(rehearsal).decode() + "\n")
    else:
        sys.stdout.write(render_text(rehearsal))
    return 1 if rehearsal.failed else 0


def _workflow(args: argparse.Namespace, root: Path) -> tuple[str, str] | int:
    """(its name for the report, its text), or an exit code."""
    if args.workflow:
        try:
            return args.workflow, Path(args.workflow).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            return fail(f"cannot read {args.workflow}: {exc}")
    from libs.analysis import analyze
    from libs.cigen import NothingToGenerate, foreign_pipelines, generate

    report = analyze(root)
    try:
        generation = generate(report, existing=foreign_pipelines(report.ci.pipelines, root))
    except NothingToGenerate as exc:
        return fail(f"cannot generate CI to rehearse: {exc}")
    return f"generated {generation.path}", generation.content


def register(commands: Any) -> None:
    ci = commands.add_parser("ci", help="CI workflows: rehearse one on this machine")
    sub = ci.add_subparsers(dest="ci_command", metavar="COMMAND", required=True)
    rehearse = sub.add_parser(
        "rehearse",
        help="run a workflow's jobs locally against a throwaway copy of a checkout",
        description="Run a GitHub Actions workflow's jobs on this machine against a "
        "throwaway copy of PATH: the CI AutoDevOps generates for it, or --workflow FILE. "
        "This EXECUTES THE REPOSITORY'S CODE. Exit 0 when every rehearsed step passed, "
        "1 when one failed, 2 on bad input.",
    )
    rehearse.add_argument("path", help="the checkout to rehearse on (copied, never changed)")
    rehearse.add_argument(
        "--workflow",
        metavar="FILE",
        help="rehearse this workflow file instead of the generated one",
    )
    rehearse.add_argument(
        "--job",
        action="append",
        metavar="NAME",
        help="only this job id (and the jobs it needs); repeatable",
    )
    rehearse.add_argument("--format", choices=("text", "json"), default="text")
    rehearse.add_argument(
        "--step-timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="time limit of each step (default 900; a step's own "
        "timeout-minutes applies when shorter)",
    )
    rehearse.add_argument(
        "--keep", action="store_true", help="keep the throwaway directory and print where it is"
    )
    rehearse.add_argument(
        "--allow-other-minor",
        action="store_true",
        help="rehearse on another minor release of a runtime when the one "
        "asked for is missing (said in the report)",
    )
    rehearse.add_argument(
        "--tool-cache",
        metavar="DIR",
        help="where downloaded toolchains are kept (default ~/.cache/autodevops/rehearse)",
    )
    rehearse.add_argument(
        "--as-of",
        metavar="DATE",
        help="package managers resolve as of DATE (ISO date or date-time, UTC unless it "
        "says otherwise; `commit`: the checkout's HEAD committer date) instead of today, "
        "where they have a way to (said per step in the report)",
    )
    rehearse.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    rehearse.set_defaults(run=_run)
