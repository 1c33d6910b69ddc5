"""Category scores, the overall score and its band, from the checks."""

from __future__ import annotations

from typing import get_args

from libs.analysis.report import Band, Category, CategoryScore, Check, Score

# How much each category counts in the overall score.
CATEGORY_WEIGHTS: dict[Category, int] = {
    "security": 30,
    "ci_cd": 20,
    "testing": 20,
    "dependencies": 15,
    "documentation": 15,
}
BANDS: tuple[tuple[int, Band], ...] = (
    (90, "excellent"),
    (75, "good"),
    (50, "fair"),
    (30, "poor"),
    (0, "critical"),
)


def band(score: int) -> Band:
    return next(name for floor, name in BANDS if score >= floor)


def category_score(checks: list[Check], category: Category) -> int | None:
    """Weighted share of points earned by the assessed checks; None when none was assessed."""
    assessed = [c for c in checks if c.category == category and c.assessed]
    total = sum(c.weight for c in assessed)
    if total == 0:
        return None
    return round(100 * sum(c.weight * c.score for c in assessed) / total)


def score(checks: list[Check]) -> Score:
    categories = [
        CategoryScore(category=category, score=category_score(checks, category))
        for category in get_args(Category)
    ]
    counted = [(c.score, CATEGORY_WEIGHTS[c.category]) for c in categories if c.score is not None]
    weight = sum(w for _, w in counted)
    overall = round(sum(s * w for s, w in counted) / weight) if weight else 0
    return Score(overall=overall, band=band(overall), categories=categories)
