"""Score charts as plain geometry for the templates to draw as SVG (no script, no CSS
from outside): a sparkline per repository, and the history chart with a point per
analysis."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.db.score_history import HistoryEntry

SPARK_W, SPARK_H = 96, 24
CHART_W, CHART_H, PAD = 640, 200, 28


def sparkline(scores: list[int]) -> str:
    """SVG polyline points for scores 0-100, left to right."""
    if not scores:
        return ""
    if len(scores) == 1:
        scores = scores * 2  # one analysis: a level line, not an invisible point
    step = SPARK_W / max(1, len(scores) - 1)
    return " ".join(
        f"{round(i * step, 1)},{round(SPARK_H - 2 - s * (SPARK_H - 4) / 100, 1)}"
        for i, s in enumerate(scores)
    )


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    point: HistoryEntry


@dataclass(frozen=True)
class HistoryChart:
    width: int
    height: int
    pad: int
    dots: list[Dot]
    line: str
    gridlines: list[tuple[int, float]]  # (score, y)


def history(points: list[HistoryEntry]) -> HistoryChart:
    """`points` oldest first (the API's /v1/repos/{id}/history, reversed)."""
    inner_w, inner_h = CHART_W - 2 * PAD, CHART_H - 2 * PAD

    def y_of(score: int) -> float:
        return round(PAD + inner_h - score * inner_h / 100, 1)

    step = inner_w / max(1, len(points) - 1)
    dots = [
        Dot(round(PAD + (i * step if len(points) > 1 else inner_w / 2), 1), y_of(p.score), p)
        for i, p in enumerate(points)
    ]
    return HistoryChart(
        width=CHART_W,
        height=CHART_H,
        pad=PAD,
        dots=dots,
        line=" ".join(f"{d.x},{d.y}" for d in dots),
        gridlines=[(s, y_of(s)) for s in (0, 25, 50, 75, 100)],
    )
