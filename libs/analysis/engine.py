"""analyze(): every analyser over one checkout, then checks, score and recommendations."""

from __future__ import annotations

import time
from pathlib import Path

from libs.analysis import ci, hygiene, recommend, scoring, secrets, workflows
from libs.analysis.report import Report, ScanStats, SecretsResult
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import DEFAULT_MAX_FILE_BYTES, Tree


def analyze(
    root: Path,
    *,
    commit: str | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    zizmor_timeout: float = workflows.DEFAULT_TIMEOUT,
) -> Report:
    """Analyse the checkout at `root`: pure, offline, and deterministic for the same bytes.

    `content_digest` is a sha256 over the tree's paths and the bytes the analysers read;
    together with REPORT_VERSION it keys the analysis cache.
    """
    return _run(root, commit, max_file_bytes, zizmor_timeout, previous_secrets=None)


def rescore(root: Path, previous: Report | None = None) -> Report:
    """Analyse again, reusing `previous`'s secret scan (for a copy of the tree in which
    only generated CI files changed): stack, CI, workflow audit, checks and score rerun.
    """
    reuse = previous.secrets if previous is not None else None
    commit = previous.commit if previous is not None else None
    return _run(root, commit, DEFAULT_MAX_FILE_BYTES, workflows.DEFAULT_TIMEOUT, reuse)


def _run(
    root: Path,
    commit: str | None,
    max_file_bytes: int,
    zizmor_timeout: float,
    previous_secrets: SecretsResult | None,
) -> Report:
    started = time.perf_counter()
    tree = Tree.scan(root, max_file_bytes=max_file_bytes)
    stack = analyse_stack(tree)
    ci_info = ci.analyse_ci(tree)
    found = previous_secrets if previous_secrets is not None else secrets.scan_tree(tree)
    audit = workflows.audit(tree, timeout=zizmor_timeout)
    inputs = hygiene.Inputs.build(tree, stack, ci_info, found, audit)
    checks = hygiene.run_checks(inputs)
    stats = ScanStats(
        files=len(tree.files),
        bytes=sum(e.size for e in tree.files),
        duration_ms=round((time.perf_counter() - started) * 1000),
        skipped_symlinks=tree.skipped_symlinks,
        skipped_large=found.skipped_large,
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
