"""The regression rule and the check run's verdict, from reports and history entries."""

from __future__ import annotations

import datetime as dt

from libs.analysis import scoring
from libs.analysis.report import Report, Score, SecretFinding, SecretsResult
from libs.common.db.score_history import HistoryEntry, RegressionRule
from services.worker.github_app import verdict


def report(score: int, *critical_paths: str) -> Report:
    findings = [
        SecretFinding(
            rule="aws-access-key-id",
            description="AWS access key ID",
            path=path,
            line=3,
            preview="AKIA****",
            severity="critical",
        )
        for path in critical_paths
    ]
    return Report(
        score=Score(overall=score, band=scoring.band(score)),
        secrets=SecretsResult(findings=findings),
    )


def entry(score: int, critical: list[str] | None = None) -> HistoryEntry:
    return HistoryEntry(
        id=1,
        commit_sha="a" * 40,
        branch="main",
        pull_request=None,
        score=score,
        band="good",
        categories={},
        critical=critical or [],
        regressed=False,
        analysis_id=None,
        created_at=dt.datetime.now(dt.UTC),
    )


DEFAULT = RegressionRule(max_drop=None, on_critical=True)


def test_a_drop_over_the_allowance_regresses() -> None:
    assert verdict.regression(entry(80), report(75), DEFAULT, 5) is None
    found = verdict.regression(entry(80), report(74), DEFAULT, 5)
    assert found is not None
    assert (found.drop, found.max_drop) == (6, 5)
    assert "dropped 6 points" in found.reasons[0]
    lenient = RegressionRule(max_drop=10, on_critical=True)
    assert verdict.regression(entry(80), report(74), lenient, 5) is None


def test_only_a_new_critical_finding_regresses() -> None:
    old = ["secret:aws-access-key-id:a.py"]
    assert verdict.regression(entry(80, old), report(80, "a.py"), DEFAULT, 5) is None
    found = verdict.regression(entry(80, old), report(80, "a.py", "b.py"), DEFAULT, 5)
    assert found is not None
    assert found.new_critical == ["secret:aws-access-key-id:b.py"]
    quiet = RegressionRule(max_drop=None, on_critical=False)
    assert verdict.regression(entry(80, old), report(80, "a.py", "b.py"), quiet, 5) is None


def test_no_baseline_no_regression_and_the_conclusions() -> None:
    assert verdict.regression(None, report(10, "a.py"), DEFAULT, 5) is None
    assert verdict.conclusion(report(80), None) == "success"
    assert verdict.conclusion(report(40), None) == "neutral"
    regressed = verdict.regression(entry(90), report(80), DEFAULT, 5)
    assert verdict.conclusion(report(80), regressed) == "failure"
    out = verdict.output(report(80), regressed, shown=1, elsewhere=2)
    assert out.title.startswith("Regression: the score dropped 10 points")
    assert "1 annotated on the changed lines, 2 elsewhere" in out.summary


def test_annotations_never_carry_the_secret() -> None:
    (note,) = verdict.finding_annotations(report(80, "a.py"))
    assert (note.path, note.start_line, note.annotation_level) == ("a.py", 3, "failure")
    assert "AKIA" not in note.message + note.title
