"""The dashboard's pure parts: chart geometry, report and workflow diffs, band ranges."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from libs.analysis.report import (
    CategoryScore,
    Check,
    Report,
    Score,
    SecretFinding,
    SecretsResult,
)
from libs.analysis.scoring import band
from libs.common.db.overview import BAND_RANGES
from libs.common.db.score_history import HistoryEntry
from services.api.dashboard import changes, charts, report_view


def test_band_ranges_are_the_scoring_bands() -> None:
    for score in range(101):
        low, high = BAND_RANGES[band(score)]
        assert low <= score <= high


def test_sparkline_spans_the_box_and_one_score_is_a_line() -> None:
    points = charts.sparkline([0, 50, 100]).split()
    assert points[0] == f"0.0,{charts.SPARK_H - 2}.0"
    assert points[-1] == f"{charts.SPARK_W}.0,2.0"
    assert len(charts.sparkline([70]).split()) == 2
    assert charts.sparkline([]) == ""


def test_history_puts_each_analysis_in_order_inside_the_padding() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    points = [
        HistoryEntry(
            id=i,
            commit_sha=f"{i:040d}",
            branch="main",
            pull_request=None,
            score=s,
            band=band(s),
            categories={},
            critical=[],
            regressed=False,
            analysis_id=uuid.uuid4(),
            created_at=now + dt.timedelta(hours=i),
        )
        for i, s in enumerate([10, 90, 40])
    ]
    chart = charts.history(points)
    xs = [d.x for d in chart.dots]
    assert xs == sorted(xs)
    assert xs[0] == chart.pad
    assert xs[-1] == chart.width - chart.pad
    assert chart.dots[1].y < chart.dots[2].y < chart.dots[0].y  # higher score, higher up
    single = charts.history(points[:1])
    assert single.dots[0].x == chart.width / 2


def _report(score: int, status: str, secret_path: str | None) -> Report:
    findings = (
        [SecretFinding(rule="aws", description="key", path=secret_path, line=1, preview="A*")]
        if secret_path
        else []
    )
    return Report(
        score=Score(
            overall=score,
            band=band(score),
            categories=[CategoryScore(category="testing", score=score)],
        ),
        checks=[Check(id="tests", category="testing", status=status, weight=1)],  # type: ignore[arg-type]
        secrets=SecretsResult(findings=findings),
    )


def _view(score: int, status: str, secret_path: str | None) -> report_view.ReportView:
    """A real Report, stored as the worker stores it, read as the dashboard reads it."""
    return report_view.decode(msgspec.json.encode(_report(score, status, secret_path)))


def test_the_view_reads_what_a_full_report_stores() -> None:
    view = _view(70, "pass", "b.env")
    assert view.score.band == "fair"
    assert view.checks[0].id == "tests"
    assert view.secrets.findings[0].preview == "A*"
    assert report_view.decode(b"{}").score.overall == 0


def test_changes_between_two_reports() -> None:
    found = changes.between(_view(40, "fail", "a.env"), _view(70, "pass", "b.env"))
    assert (found.score_before, found.score_after) == (40, 70)
    assert found.categories == [("testing", 40, 70)]
    assert found.checks == [("tests", "fail", "pass")]
    assert found.new_findings == ["secret aws in b.env:1"]
    assert found.fixed_findings == ["secret aws in a.env:1"]
    assert not found.empty
    assert changes.between(_view(50, "pass", None), _view(50, "pass", None)).empty


def test_unified_diff_marks_each_line() -> None:
    lines = changes.unified("a\nb\n", "a\nc\n", "old.yml", "new.yml")
    kinds = [kind for kind, _ in lines]
    assert kinds[:3] == ["file", "file", "hunk"]
    assert ("del", "-b") in lines
    assert ("add", "+c") in lines
    assert changes.unified("same\n", "same\n", "x", "y") == []
