"""`python -m bench.corpus.cigen DIR [--only NAME ...] [--no-rehearse] [--as-of-commit]
[--json FILE]`:
the CI generator measured on the corpus. `--rows FILE...` prints the table of earlier
`--json` files instead (the corpus measured repository by repository).

For each checkout in DIR (`owner+name`, as `python -m bench.corpus checkout` leaves them,
read-only: the rehearsal works on a throwaway copy): analyse, generate the GitHub
workflow, validate it (schema, policy, zizmor, actionlint), rehearse it on this machine,
and print one row per repository: jobs generated, rehearsed, green, red (the first
failing step), not rehearsed (why). Then the acceptance figures of issue 13: the share of
rehearsed test/check jobs that are green, repositories with a test suite that get a job
running it, jobs for folders that are not projects (labels in cigen.toml), and unpinned
tool installs. Only the repository's own jobs count: not `changes`, CodeQL or Docker
image builds (none of which runs its tests or checks).

`--as-of-commit` rehearses each repository as of its pinned commit's date (the
rehearsal's `--as-of commit`): its unpinned dependencies resolve as its own CI resolved
them then, not to today's releases. The rows and figures say which mode they came from.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shutil
import sys
import time
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from bench.corpus import MANIFEST, MANIFEST_HELP, Repo, absent, load
from libs.analysis import analyze
from libs.cigen import NothingToGenerate, foreign_pipelines, generate
from libs.cigen.planner import build_plan
from libs.cigen.rehearse.workflow import expand_matrix
from libs.cigen.validate.installs import unpinned
from libs.cigen.validate.schema import parse_yaml

LABELS = Path(__file__).with_name("cigen.toml")
CHECKS = ("test", "lint", "format", "typecheck", "build")


@dataclass
class JobOutcome:
    job: str  # the job id, with its matrix values
    directory: str
    runs_tests: bool
    status: str  # passed, failed, partial, not_rehearsed, skipped, not_run
    detail: str = ""  # the failing step, or why not rehearsed


@dataclass
class Row:
    repo: str
    ecosystem: str
    status: str = "ok"  # ok, no checkout, nothing to generate
    valid: bool = False
    findings: list[str] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)
    jobs: list[JobOutcome] = field(default_factory=list)
    not_projects: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # files the corpus copy lacks
    seconds: float = 0.0
    as_of: str = ""  # dependencies resolved as of this date (--as-of-commit), "" for today
    git_mirrors: bool = False  # github.com repositories came from local mirrors (--git-mirrors)

    def count(self, *statuses: str) -> int:
        return sum(1 for j in self.jobs if j.status in statuses)


def labels() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(LABELS.read_text(encoding="utf-8"))["repos"]
    return data


def measure(
    repo: Repo,
    root: Path,
    label: dict[str, Any],
    *,
    rehearse: bool,
    timeout: float,
    one_leg: bool = False,
    as_of_commit: bool = False,
    git_mirrors: Path | None = None,
) -> Row:
    row = Row(repo=repo.name, ecosystem=repo.ecosystem)
    if not root.is_dir() or not any(root.iterdir()):
        row.status = "no checkout"
        return row
    started = time.monotonic()
    report = analyze(root)
    existing = foreign_pipelines(report.ci.pipelines, root)
    try:
        generation = generate(report, default_branch=repo.default_branch, existing=existing)
    except NothingToGenerate:
        row.status = "nothing to generate"
        row.seconds = time.monotonic() - started
        return row
    row.valid = generation.valid
    row.findings = [
        f"{f.validator}/{f.rule}: {f.message[:120]}" for f in generation.validation.findings
    ]
    row.findings += [
        f"{v.name}: {v.status} ({v.reason})"
        for v in generation.validation.validators
        if v.status == "not_run"
    ]
    row.unpinned = [f"{where}: {what}" for where, what in unpinned(parse_yaml(generation.content))]
    # the plan the workflow was rendered from: the repository's CI is evidence in it
    plan = build_plan(report, default_branch=repo.default_branch, pipelines=existing)
    jobs = {j.id: j for j in plan.jobs if j.docker is None}
    allowed = set(label.get("projects", [])) | set(label.get("packages", []))
    row.not_projects = sorted({j.directory for j in jobs.values() if j.directory not in allowed})
    content, left = (
        _one_leg(generation.content) if one_leg else (generation.content, dict[str, int]())
    )
    row.absent = absent(root)
    results = (
        _rehearse(root, content, generation.path, timeout, row, as_of_commit, git_mirrors)
        if rehearse
        else None
    )
    for job_id, job in jobs.items():
        tests = any(s.purpose == "test" for s in job.steps)
        if results is None:
            row.jobs.append(JobOutcome(job_id, job.directory, tests, "not_run", "--no-rehearse"))
            continue
        for result in results.get(job_id, []) or [None]:
            row.jobs.append(_outcome(job_id, job.directory, tests, result))
        for n in range(left.get(job_id, 0)):
            why = "another combination of its matrix, not rehearsed (--one-leg)"
            row.jobs.append(JobOutcome(f"{job_id} #{n + 2}", job.directory, tests, "not_run", why))
    row.seconds = time.monotonic() - started
    return row


def _one_leg(content: str) -> tuple[str, dict[str, int]]:
    """The workflow with each matrix cut to its first combination (JSON, which is YAML),
    and how many combinations each job lost: a rehearsal of a four-Python matrix takes
    minutes on a shared machine, and its combinations mostly fail or pass together."""
    document = parse_yaml(content)
    left: dict[str, int] = {}
    for job_id, job in (document.get("jobs") or {}).items():
        matrix = (job.get("strategy") or {}).get("matrix")
        if not isinstance(matrix, dict) or any(
            isinstance(v, str) and "${{" in v for v in matrix.values()
        ):
            continue
        combinations = expand_matrix(matrix)
        if len(combinations) > 1:
            job["strategy"]["matrix"] = {"include": combinations[:1]}
            left[str(job_id)] = len(combinations) - 1
    return json.dumps(document), left


def _rehearse(
    root: Path,
    content: str,
    path: str,
    timeout: float,
    row: Row,
    as_of_commit: bool,
    git_mirrors: Path | None = None,
) -> dict[str, list[Any]] | None:
    try:  # the rehearsal lives beside cigen, imported only where it is asked for
        module: Any = importlib.import_module("libs.cigen.rehearse")
    except ImportError:
        return None
    # A copy that lacks files keeps the steps' whole logs until each failure is read for them
    lacking = row.absent
    keep = bool(lacking)
    rehearsal = module.rehearse(
        root,
        content,
        workflow=path,
        step_timeout=timeout,
        keep=keep,
        as_of="commit" if as_of_commit else None,
        git_mirrors=git_mirrors,
    )
    row.as_of = rehearsal.as_of or ""
    row.git_mirrors = git_mirrors is not None
    found: dict[str, list[Any]] = {}
    try:
        for result in rehearsal.jobs:
            runs = found.setdefault(result.id, [])
            if keep and result.status == "failed":
                logs = Path(rehearsal.kept) / "jobs" / f"{result.id}-{len(runs)}" / "logs"
                named = _naming(result, logs, lacking)
                if named:
                    result.status = "not_rehearsed"
                    result.reason = _incomplete(lacking, named)
            runs.append(result)
    finally:
        if rehearsal.kept:
            shutil.rmtree(rehearsal.kept, ignore_errors=True)
    return found


# pytest's summary line per failed test, which carries its error (TAP's `not ok` line
# carries only the test's name: its error follows, indented)
_FAILED_TEST = re.compile(r"^FAILED ", re.M)


def _naming(result: Any, logs: Path, lacking: list[str]) -> list[str]:
    """The absent files the job's failing step names in its whole output (a path ends
    with the file's folder and name, as a test or build quoting it relative to its own
    directory writes it): its failure may follow from the file the copy lacks. Not where
    the output lists failed tests and one of them names none of those files (mealie: one
    test reads a zip the copy lacks, seven LDAP tests fail for want of a server): that
    failure does not follow from them."""
    index, step = next((n, s) for n, s in enumerate(result.steps) if s.status == "failed")
    log = logs / f"{index:02d}.log"
    text = log.read_text(errors="replace") if log.is_file() else step.output_tail
    ends = ["/".join(path.split("/")[-2:]) for path in lacking]
    failed = [line for line in text.splitlines() if _FAILED_TEST.match(line)]
    if any(not any(end in line for end in ends) for line in failed):
        return []
    return [path for path, end in zip(lacking, ends, strict=True) if end in text]


def _incomplete(lacking: list[str], named: list[str]) -> str:
    count = f"{len(lacking)} files" if len(lacking) > 1 else "1 file"
    them = "them" if len(lacking) > 1 else "it"
    return (
        f"corpus copy incomplete ({count} absent: its mirror snapshot has no blob for {them}); "
        f"the failing step names {', '.join(named)}"
    )


def _outcome(job_id: str, directory: str, tests: bool, result: Any) -> JobOutcome:
    if result is None:
        return JobOutcome(job_id, directory, tests, "not_rehearsed", "not in the rehearsal")
    name = job_id + "".join(f" {v}" for v in result.matrix.values())
    if result.status == "failed":
        step = next(s for s in result.steps if s.status == "failed")
        tail = " | ".join(step.output_tail.strip().splitlines()[-3:])[:300]
        # a step stopped at the time limit says so: its tail is only where it got to
        why = f" ({step.reason})" if step.reason and step.reason.startswith("timed out") else ""
        return JobOutcome(name, directory, tests, "failed", f"{step.name}{why}: {tail}")
    if result.status in ("partial", "not_rehearsed", "skipped"):
        step = next((s for s in result.steps if s.status == "not_rehearsed"), None)
        why = result.reason or (f"{step.name}: {step.reason}" if step else "")
        if result.status == "partial" and step is not None:
            why = f"{step.name}: {step.reason}"  # which of the steps could not run
        return JobOutcome(name, directory, tests, result.status, why[:300])
    return JobOutcome(name, directory, tests, result.status)


def table(rows: list[Row]) -> str:
    lines = [
        "| repository | jobs | rehearsed | green | red (first failing step) "
        "| not rehearsed (why) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.status != "ok":
            lines.append(f"| {row.repo} | 0 | | | | {row.status} |")
            continue
        rehearsed = row.count("passed", "failed", "partial")
        green = row.count("passed")
        partial = row.count("partial")
        red = "; ".join(f"{j.job}: {_short(j.detail)}" for j in row.jobs if j.status == "failed")
        why = Counter(
            _short(j.detail)
            for j in row.jobs
            if j.status in ("not_rehearsed", "skipped", "not_run")
        )
        not_rehearsed = "; ".join(f"{n}× {reason}" for reason, n in why.items())
        if partial:
            parts = Counter(_short(j.detail) for j in row.jobs if j.status == "partial")
            listed = "; ".join(f"{n}× {reason}" for reason, n in parts.items())
            not_rehearsed = "; ".join(
                filter(None, [f"{partial} partial ({listed})", not_rehearsed])
            )
        valid = "" if row.valid else " **invalid**"
        valid += f" (as of {row.as_of[:10]})" if row.as_of else ""
        lines.append(
            f"| {row.repo}{valid} | {len({j.job.split(' ')[0] for j in row.jobs})} | {rehearsed} "
            f"| {green} | {red} | {not_rehearsed} |"
        )
    return "\n".join(lines)


def _short(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")[:160]


def mode(rows: list[Row]) -> str:
    """How the rows' dependencies were resolved: today, or as of each commit's date; and
    whether github.com repositories came from local mirrors."""
    dated = sum(1 for r in rows if r.as_of)
    mirrored = sum(1 for r in rows if r.git_mirrors)
    if not dated:
        said = "dependencies resolved: today (the registries as they are now)"
    elif dated == len(rows):
        said = "dependencies resolved: as of each repository's commit date (--as-of-commit)"
    else:
        said = (
            f"dependencies resolved: mixed, {dated} repositories as of their commit date "
            f"(--as-of-commit, marked in the table), {len(rows) - dated} today"
        )
    if mirrored:
        said += f"; github.com from local mirrors (--git-mirrors) for {mirrored} of {len(rows)}"
    return said


def acceptance(rows: list[Row], marks: dict[str, Any]) -> list[str]:
    jobs = [j for r in rows for j in r.jobs]
    passed = sum(1 for j in jobs if j.status == "passed")
    partial = sum(1 for j in jobs if j.status == "partial")
    failed = sum(1 for j in jobs if j.status == "failed")
    rehearsed = passed + partial + failed
    suites = [r for r in rows if marks.get(r.repo, {}).get("tests")]
    covered = [r for r in suites if any(j.runs_tests for j in r.jobs)]
    valid = [r for r in rows if r.status == "ok" and r.valid]
    generated = [r for r in rows if r.status == "ok"]
    whole = passed + failed
    return [
        mode(rows),
        f"workflows valid (schema, policy, zizmor, actionlint): {len(valid)}/{len(generated)}",
        f"rehearsed test/check jobs green: {passed}/{rehearsed}"
        + (f" ({100 * passed / rehearsed:.0f} %)" if rehearsed else "")
        + f"; {partial} more passed every step that could run here; {failed} red",
        f"jobs rehearsed whole (every step ran) green: {passed}/{whole}"
        + (f" ({100 * passed / whole:.0f} %)" if whole else ""),
        f"repositories with a test suite that get a job running it: {len(covered)}/{len(suites)}"
        + _missing([r.repo for r in suites if r not in covered]),
        "jobs for folders that are not projects: "
        + str(sum(len(r.not_projects) for r in rows))
        + _missing([f"{r.repo}:{d}" for r in rows for d in r.not_projects]),
        "unpinned tool installs: "
        + str(sum(len(r.unpinned) for r in rows))
        + _missing([f"{r.repo} {u}" for r in rows for u in r.unpinned]),
    ]


def _row(item: dict[str, Any]) -> Row:
    """A row back from the runner's --json file."""
    return Row(**{**item, "jobs": [JobOutcome(**job) for job in item["jobs"]]})


def _missing(items: list[str]) -> str:
    return f" ({', '.join(items)})" if items else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus.cigen", description=__doc__)
    parser.add_argument("dir", type=Path, help="folder of owner+name checkouts")
    parser.add_argument("--only", nargs="*", default=(), help="these owner/name only")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help=MANIFEST_HELP)
    parser.add_argument("--no-rehearse", dest="rehearse", action="store_false")
    parser.add_argument("--step-timeout", type=float, default=900.0)
    parser.add_argument("--json", type=Path, help="also write every row here")
    parser.add_argument(
        "--one-leg", action="store_true", help="rehearse one combination of each matrix"
    )
    parser.add_argument(
        "--as-of-commit",
        action="store_true",
        help="package managers resolve as of each repository's commit date, not today",
    )
    parser.add_argument(
        "--git-mirrors",
        type=Path,
        help="folder of bare mirrors named owner+name: git in the rehearsed steps fetches "
        "github.com repositories (pre-commit hooks, git dependencies) from them",
    )
    parser.add_argument(
        "--rows",
        type=Path,
        nargs="*",
        default=(),
        help="print the table of these --json files (a later file's row of a repository wins)",
    )
    args = parser.parse_args(argv)
    marks = labels()
    rows: list[Row] = []
    if args.rows:
        # a repository's row in a later file replaces an earlier one (a later measurement)
        latest = {
            item["repo"]: _row(item)
            for path in args.rows
            for item in msgspec.json.decode(path.read_bytes())
        }
        rows = list(latest.values())
        order = {repo.name: n for n, repo in enumerate(load(args.manifest))}
        rows.sort(key=lambda row: order.get(row.repo, len(order)))
    for repo in load(args.manifest):
        if args.rows or (args.only and repo.name not in args.only):
            continue
        row = measure(
            repo,
            args.dir / repo.slug,
            marks.get(repo.name, {}),
            rehearse=args.rehearse,
            timeout=args.step_timeout,
            one_leg=args.one_leg,
            as_of_commit=args.as_of_commit,
            git_mirrors=args.git_mirrors,
        )
        rows.append(row)
        print(
            f"{repo.name}: {row.status}, {len(row.jobs)} job results, {row.seconds:.0f} s",
            file=sys.stderr,
        )
        if args.json:
            args.json.write_bytes(
                msgspec.json.format(msgspec.json.encode([asdict(r) for r in rows]))
            )
    print(table(rows))
    print()
    for line in acceptance(rows, marks):
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
