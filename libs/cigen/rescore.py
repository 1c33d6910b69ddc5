"""The score before and after: re-run the Report's CI and hygiene checks with the
generated file in place.

cigen does not know how to score; the analysis does. The caller passes a `Rescorer`:
given the files the generation adds (repository-relative path -> content), it returns
the Report as the analysis would produce it for the tree with those files in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from libs.analysis.report import Check, CheckStatus, Report

Rescorer = Callable[[Mapping[str, str]], Report]


class CheckChange(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    before: CheckStatus
    after: CheckStatus


class ScoreChange(msgspec.Struct, frozen=True, kw_only=True):
    before: int
    after: int
    checks: list[CheckChange] = []  # only the checks whose status changed


def compare(before: Report, after: Report) -> ScoreChange:
    old: dict[str, Check] = {c.id: c for c in before.checks}
    changes = [
        CheckChange(id=c.id, before=old[c.id].status, after=c.status)
        for c in after.checks
        if c.id in old and old[c.id].status != c.status
    ]
    return ScoreChange(before=before.score.overall, after=after.score.overall, checks=changes)


def score_change(report: Report, files: Mapping[str, str], rescorer: Rescorer) -> ScoreChange:
    return compare(report, rescorer(files))
