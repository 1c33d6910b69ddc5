"""`autodevops ci rehearse PATH [--workflow FILE]`: run a workflow's jobs on this machine
against a throwaway copy of the checkout (libs/cigen/rehearse).

It executes the repository's code: only ever run it on request. Exit codes: 0 every
rehearsed step passed, 1 a step failed, 2 bad input (no directory, no workflow, a job
that does not exist, nothing to generate, with --upload: the API refused or did not
answer), 3 the rehearsal ran but its upload failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from services.cli.common import fail
from services.cli.rehearsal_upload import Api, Upload


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
    upload = _upload_target(args)
    if isinstance(upload, int):
        return upload
    loaded = _workflow(args, root) if upload is None else upload.workflow()
    if isinstance(loaded, int):
        return loaded
    name, content = loaded
    git_mirrors = Path(args.git_mirrors) if args.git_mirrors else None
    if git_mirrors is not None and not git_mirrors.is_dir():
        return fail(f"--git-mirrors: {git_mirrors} is not a directory")

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
            as_root=args.as_root,
            git_mirrors=git_mirrors,
        )
    except BadWorkflow as exc:
        return fail(f"{name}: {exc}")
    except BadDate as exc:
        return fail(str(exc))
    if args.format == "json":
        sys.stdout.write(msgspec.json.encode(rehearsal).decode() + "\n")
    else:
        sys.stdout.write(render_text(rehearsal))
    if upload is not None and not upload.send(root, rehearsal):
        return 3
    return 1 if rehearsal.failed else 0


def _upload_target(args: argparse.Namespace) -> Upload | int | None:
    """With --upload: where the generated CI comes from and the report goes."""
    if not args.upload:
        return None
    if args.workflow:
        return fail("--upload rehearses the CI generated for --repo; leave out --workflow")
    token = args.token or os.environ.get("AUTODEVOPS_TOKEN")
    if not args.repo or not token:
        return fail("--upload needs --repo ID and an API token (--token or AUTODEVOPS_TOKEN)")
    return Upload(Api(args.url.rstrip("/"), token), args.repo)


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
        help="where downloaded toolchains are kept (default ~/.cache/autodevops/rehearse; "
        "/var/cache/autodevops/rehearse when steps run as autodevops-runner)",
    )
    rehearse.add_argument(
        "--as-of",
        metavar="DATE",
        help="package managers resolve as of DATE (ISO date or date-time, UTC unless it "
        "says otherwise; `commit`: the checkout's HEAD committer date) instead of today, "
        "where they have a way to (said per step in the report)",
    )
    rehearse.add_argument(
        "--as-root",
        action="store_true",
        help="when run as root, run the steps as root too instead of as the runner's "
        "unprivileged user autodevops-runner (said in the report)",
    )
    rehearse.add_argument(
        "--git-mirrors",
        metavar="DIR",
        help="a folder of bare git mirrors named OWNER+NAME: git in every step fetches "
        "https://github.com/OWNER/NAME from them (for a machine without github.com; said in "
        "the report)",
    )
    rehearse.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    rehearse.add_argument(
        "--upload",
        action="store_true",
        help="rehearse the CI the platform generated for --repo (fetched from the API) and "
        "store the report there, shown on the repository's CI page",
    )
    rehearse.add_argument("--repo", metavar="ID", help="the repository's id on the platform")
    rehearse.add_argument(
        "--url",
        default=os.environ.get("AUTODEVOPS_URL", "http://127.0.0.1:8000"),
        help="the platform's URL (default: AUTODEVOPS_URL, else http://127.0.0.1:8000)",
    )
    rehearse.add_argument("--token", help="an API token (default: AUTODEVOPS_TOKEN)")
    rehearse.set_defaults(run=_run)
