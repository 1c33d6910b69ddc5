"""The score before and after, from the real analysis of each stack fixture tree: the
generated CI is written into a copy of the tree and the analysis re-runs its checks there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.analysis import analyze, rescore
from libs.analysis.report import Check, Report
from libs.cigen import generate, in_tree_copy
from libs.cigen.planner import build_plan
from tests.unit.analysis.conftest import write_tree
from tests.unit.analysis.stack_trees import TREES

# What every generated GitHub workflow is built to pass, whatever the stack.
HARDENING = ("Token-Permissions", "Dangerous-Workflow", "workflow-audit")


def rescored(root: Path, report: Report, platform: str) -> tuple[Report, Report, int, int]:
    """The report after, with the generation's score before and after."""
    seen: list[Report] = []

    def analyse(copy: Path) -> Report:
        seen.append(rescore(copy, report))
        return seen[-1]

    generation = generate(report, platform=platform, rescore=in_tree_copy(root, analyse))
    assert generation.valid, generation.validation.findings
    assert generation.score is not None
    (after,) = seen
    return report, after, generation.score.before, generation.score.after


def statuses(report: Report) -> dict[str, Check]:
    return {c.id: c for c in report.checks}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_generated_ci_raises_the_score_and_passes_the_checks_it_addresses(
    tree: str, tmp_path: Path
) -> None:
    root = write_tree(tmp_path / tree, TREES[tree])
    report = analyze(root)
    plan = build_plan(report)
    purposes = {step.purpose for job in plan.jobs for step in job.steps}
    # the CI checks the plan addresses: the gaps it leaves (no linter configured, nothing
    # to cache) are the repository's, and stay visible
    addressed = {"ci-present", "SAST"}
    addressed |= {"ci-runs-tests"} if "test" in purposes else set()
    addressed |= {"ci-runs-lint"} if purposes & {"lint", "format", "typecheck"} else set()
    addressed |= {"ci-caches"} if any(job.lockfiles for job in plan.jobs) else set()
    for platform in ("github", "gitlab"):
        before, after, score_before, score_after = rescored(root, report, platform)
        assert score_before == before.score.overall
        assert score_after == after.score.overall > score_before
        old, new = statuses(before), statuses(after)
        assert old["ci-present"].status == "fail"
        expected = addressed | (set(HARDENING) if platform == "github" else set())
        assert {cid: new[cid].status for cid in expected} == dict.fromkeys(expected, "pass")
        # every action is pinned; base images in the repository's Dockerfiles are its own
        unpinned = [e.detail for e in new["Pinned-Dependencies"].evidence]
        assert not [d for d in unpinned if d and d.startswith("action not pinned")]
        if platform == "github":
            assert new["Pinned-Dependencies"].status in ("pass", "partial")
            assert new["Pinned-Dependencies"].status == "pass" or report.stack.dockerfiles


def test_the_score_change_lists_every_check_whose_status_moved(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", TREES["python-pip"])
    report = analyze(root)
    generation = generate(report, rescore=in_tree_copy(root, lambda c: rescore(c, report)))
    assert generation.score is not None
    moved = {c.id: (c.before, c.after) for c in generation.score.checks}
    assert moved == {
        "Dangerous-Workflow": ("not_applicable", "pass"),
        "Token-Permissions": ("not_applicable", "pass"),
        "workflow-audit": ("not_applicable", "pass"),
        "Pinned-Dependencies": ("not_applicable", "pass"),
        "SAST": ("fail", "pass"),
        "ci-present": ("fail", "pass"),
        "ci-runs-lint": ("fail", "pass"),
        "ci-caches": ("fail", "pass"),
        "ci-runs-tests": ("fail", "pass"),
    }
    assert not (root / ".github").exists()  # the tree itself is never written
