"""analyze(): every analyser over one checkout, then checks, score and recommendations."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from libs.analysis import ci, hygiene, recommend, scoring, secrets, workflows
from libs.analysis.report import Check, Report, ScanStats, SecretsResult
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import DEFAULT_MAX_FILE_BYTES, Progress, Tree


@dataclass(frozen=True)
class Listing:
    """Which files are analysed: all of them (the worker's checkouts hold only committed
    files), or, with `gitignore`, what git would commit (the CLI, in a working copy full
    of build output); `exclude` globs leave out more."""

    gitignore: bool = False
    exclude: Sequence[str] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger files are skipped and counted


def analyze(
    root: Path,
    *,
    commit: str | None = None,
    listing: Listing | None = None,
    zizmor_timeout: float = workflows.DEFAULT_TIMEOUT,
    progress: Progress | None = None,
) -> Report:
    """Analyse the checkout at `root`: pure, offline, and deterministic for the same bytes.

    `content_digest` is a sha256 over the tree's paths and the bytes the analysers read;
    together with REPORT_VERSION it keys the analysis cache. `progress`, when given, is
    called now and then during the long steps (listing, secrets).
    """
    return _run(root, commit, listing or Listing(), zizmor_timeout, None, progress)


def rescore(root: Path, previous: Report | None = None, listing: Listing | None = None) -> Report:
    """Analyse again, reusing `previous`'s secret scan (for a copy of the tree in which
    only generated CI files changed): stack, CI, workflow audit, checks and score rerun.
    """
    reuse = previous.secrets if previous is not None else None
    commit = previous.commit if previous is not None else None
    fresh = _run(root, commit, listing or Listing(), workflows.DEFAULT_TIMEOUT, reuse, None)
    if previous is not None:
        # Checks the tree cannot answer (GitHub's API, added by the worker) carry over.
        ran = {c.id for c in fresh.checks}
        with_outside(fresh, [c for c in previous.checks if c.id not in ran])
    return fresh


def with_outside(report: Report, checks: list[Check]) -> Report:
    """`report` with checks from outside the tree added, scored and recommended again."""
    if checks:
        report.checks = [*report.checks, *checks]
        report.score = scoring.score(report.checks)
        report.recommendations = recommend.recommend(report.checks, report.secrets)
    return report


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def _run(
    root: Path,
    commit: str | None,
    listing: Listing,
    zizmor_timeout: float,
    previous_secrets: SecretsResult | None,
    progress: Progress | None,
) -> Report:
    started = time.perf_counter()
    tree = Tree.scan(
        root,
        max_file_bytes=listing.max_file_bytes,
        gitignore=listing.gitignore,
        exclude=listing.exclude,
        progress=progress,
    )
    say = progress or _quiet
    say("stack", 0, len(tree.files))
    stack = analyse_stack(tree)
    ci_info = ci.analyse_ci(tree)
    found = previous_secrets
    if found is None:
        found = secrets.scan_tree(tree, progress)
    say("workflows", 0, 0)
    audit = workflows.audit(tree, timeout=zizmor_timeout)
    inputs = hygiene.Inputs.build(tree, stack, ci_info, found, audit)
    checks = hygiene.run_checks(inputs)
    stats = ScanStats(
        files=len(tree.files),
        bytes=sum(e.size for e in tree.files),
        duration_ms=round((time.perf_counter() - started) * 1000),
        skipped_symlinks=tree.skipped_symlinks,
        skipped_large=found.skipped_large,
        listed_by=tree.listed_by,
    )
    return Report(
        commit=commit,
        content_digest=tree.content_digest(),
        stack=stack,
        ci=ci_info,
        secrets=found,
        workflow_security=audit,
        checks=checks,
        score=scoring.score(checks),
        recommendations=recommend.recommend(checks, found),
        stats=stats,
    )
