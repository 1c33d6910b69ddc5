"""AI recommendations grounded in the tree, then merged with the deterministic ones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

from libs.ai.redact import normalise
from libs.ai.schema import AiAnalysis, AiRecommendation
from libs.ai.tree import exists_in_tree
from libs.analysis.report import Evidence, Recommendation

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
SIMILAR = 0.6  # word overlap (Jaccard) above which two titles say the same thing
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and the to of for in on with your all any add use using enable set up by from".split()
)


def grounded(analysis: AiAnalysis, tree_root: Path) -> tuple[list[Recommendation], int]:
    """AI recommendations whose every cited path exists in the tree, and how many were not."""
    kept: list[Recommendation] = []
    dropped = 0
    ids: set[str] = set()
    for rec in analysis.recommendations:
        paths = [normalise(e.path) for e in rec.evidence]
        if not all(path and exists_in_tree(tree_root, path) for path in paths):
            dropped += 1
            continue
        kept.append(_as_recommendation(rec, ids))
    return kept, dropped


def _as_recommendation(rec: AiRecommendation, ids: set[str]) -> Recommendation:
    slug = "-".join(_WORD.findall(rec.title.lower()))[:48].strip("-") or "recommendation"
    ident, n = f"ai-{slug}", 2
    while ident in ids:
        ident, n = f"ai-{slug}-{n}", n + 1
    ids.add(ident)
    return Recommendation(
        id=ident,
        title=rec.title,
        category=rec.category,
        severity=rec.severity,
        effort=rec.effort,
        priority=rec.priority,
        fix=rec.fix,
        evidence=[Evidence(path=normalise(e.path), line=e.line) for e in rec.evidence],
        source="ai",
    )


def _words(title: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(title.lower()) if w not in _STOP)


def _same(a: Recommendation, b: Recommendation) -> bool:
    if a.category != b.category:
        return False
    wa, wb = _words(a.title), _words(b.title)
    if not wa or not wb:
        return a.title.strip().lower() == b.title.strip().lower()
    return len(wa & wb) / len(wa | wb) >= SIMILAR


def merge(
    deterministic: Iterable[Recommendation], ai: Iterable[Recommendation]
) -> list[Recommendation]:
    """One list, duplicates removed (the deterministic one wins), renumbered by urgency."""
    merged = list(deterministic)
    for rec in ai:
        if not any(_same(rec, other) for other in merged):
            merged.append(rec)
    order = sorted(
        enumerate(merged),
        key=lambda item: (
            SEVERITY_RANK[item[1].severity],
            item[1].source != "deterministic",
            item[1].priority,
            item[0],
        ),
    )
    return [
        msgspec.structs.replace(rec, priority=priority)
        for priority, (_, rec) in enumerate(order, start=1)
    ]
