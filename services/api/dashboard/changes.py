"""What changed between two analyses of a repository, and between two workflow files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from services.api.dashboard.report_view import ReportView


@dataclass
class ReportChanges:
    score_before: int
    score_after: int
    categories: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # id, before, after
    new_findings: list[str] = field(default_factory=list)
    fixed_findings: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        same_score = self.score_before == self.score_after
        return same_score and not (
            self.categories or self.checks or self.new_findings or self.fixed_findings
        )


def _findings(report: ReportView) -> set[str]:
    found = {f"secret {s.rule} in {s.path}:{s.line}" for s in report.secrets.findings}
    found |= {
        f"workflow {w.audit} in {w.path}:{w.line or '-'}" for w in report.workflow_security.findings
    }
    return found


def between(before: ReportView, after: ReportView) -> ReportChanges:
    changes = ReportChanges(before.score.overall, after.score.overall)
    old_categories = {c.category: c.score for c in before.score.categories}
    for c in after.score.categories:
        if old_categories.get(c.category) != c.score:
            changes.categories.append((c.category, old_categories.get(c.category), c.score))
    old_checks = {c.id: c.status for c in before.checks}
    for check in after.checks:
        was = old_checks.get(check.id, "absent")
        if was != check.status:
            changes.checks.append((check.id, was, check.status))
    old, new = _findings(before), _findings(after)
    changes.new_findings = sorted(new - old)
    changes.fixed_findings = sorted(old - new)
    return changes


def unified(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) pairs: kind is add, del, hunk or same."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"a/{old_name}", f"b/{new_name}", lineterm=""
    )
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out
