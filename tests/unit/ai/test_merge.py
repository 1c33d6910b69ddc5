from __future__ import annotations

from pathlib import Path

from libs.ai.merge import grounded, merge
from libs.ai.schema import AiAnalysis, AiEvidence, AiRecommendation
from libs.analysis.report import Recommendation
from tests.unit.ai.samples import sample_report, write_tree


def ai_rec(title: str, *paths: str, category: str = "ci_cd") -> AiRecommendation:
    return AiRecommendation(
        title=title,
        category=category,  # type: ignore[arg-type]
        severity="high",
        effort="low",
        priority=1,
        evidence=[AiEvidence(path=p) for p in paths],
        fix="fix it",
    )


def test_recommendations_citing_missing_or_escaping_paths_are_dropped(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree")
    (tmp_path / "outside.txt").write_text("x")
    (root / "link-out").symlink_to(tmp_path / "outside.txt")
    analysis = AiAnalysis(
        summary="s",
        recommendations=[
            ai_rec("Add caching", ".github/workflows/ci.yml", "./pyproject.toml"),
            ai_rec("Add a CODEOWNERS file"),  # a missing file: no evidence is fine
            ai_rec("Fix the deploy script", "deploy/run.sh"),
            ai_rec("Read the parent", "../outside.txt"),
            ai_rec("Follow the link", "link-out"),
            ai_rec("Half invented", "README.md", "docs/missing.md"),
            ai_rec("Folders count", ".github/workflows/"),
        ],
    )
    kept, dropped = grounded(analysis, root)
    assert [r.title for r in kept] == ["Add caching", "Add a CODEOWNERS file", "Folders count"]
    assert dropped == 4
    assert kept[0].evidence[1].path == "pyproject.toml"
    assert all(r.source == "ai" and r.id.startswith("ai-") for r in kept)


def test_merge_removes_duplicates_and_renumbers_by_severity() -> None:
    deterministic = sample_report().recommendations
    ai = [
        Recommendation(
            id="ai-pin",
            title="Pin the GitHub Actions to full commit SHAs",
            category="security",
            severity="high",
            effort="low",
            priority=1,
            fix="...",
            source="ai",
        ),
        Recommendation(
            id="ai-tests",
            title="Run tests on pull requests",
            category="testing",
            severity="high",
            effort="low",
            priority=1,
            fix="...",
            source="ai",
        ),
    ]
    merged = merge(deterministic, ai)
    assert [r.id for r in merged] == ["secrets-committed", "ai-tests", "pin-actions"]
    assert [r.priority for r in merged] == [1, 2, 3]
    assert deterministic[1].priority == 2  # the inputs are not modified
