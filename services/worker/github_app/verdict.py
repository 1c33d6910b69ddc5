"""An analysis's verdict: its annotations, whether it regressed, and the check run's text.

Pure functions of the report and the previous history entry; the publishing is elsewhere.
"""

from __future__ import annotations

import msgspec

from libs.analysis import Report
from libs.analysis.report import Severity
from libs.common.db.score_history import HistoryEntry, RegressionRule
from libs.github.checks import Annotation, CheckOutput, Conclusion, Level

_LEVEL: dict[Severity, Level] = {
    "critical": "failure",
    "high": "failure",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}
_RANK: dict[Severity, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


class Regression(msgspec.Struct, kw_only=True):
    previous_score: int
    score: int
    drop: int
    max_drop: int
    new_critical: list[str]

    @property
    def reasons(self) -> list[str]:
        said = []
        if self.drop > self.max_drop:
            said.append(
                f"the score dropped {self.drop} points ({self.previous_score} → {self.score}),"
                f" more than the {self.max_drop} allowed"
            )
        if self.new_critical:
            said.append(f"{len(self.new_critical)} new critical finding(s)")
        return said


def categories(report: Report) -> dict[str, int | None]:
    return {c.category: c.score for c in report.score.categories}


def critical_keys(report: Report) -> list[str]:
    """What identifies each critical finding across commits (lines move; rule and file stay)."""
    keys = {
        f"secret:{f.rule}:{f.path}" for f in report.secrets.findings if f.severity == "critical"
    }
    keys |= {
        f"workflow:{f.audit}:{f.path}"
        for f in report.workflow_security.findings
        if f.severity == "critical"
    }
    return sorted(keys)


def regression(
    previous: HistoryEntry | None, report: Report, rule: RegressionRule, default_max_drop: int
) -> Regression | None:
    """The regression this report is against the branch's previous entry, if it is one."""
    if previous is None:
        return None
    max_drop = rule.max_drop if rule.max_drop is not None else default_max_drop
    drop = previous.score - report.score.overall
    new = sorted(set(critical_keys(report)) - set(previous.critical)) if rule.on_critical else []
    if drop <= max_drop and not new:
        return None
    return Regression(
        previous_score=previous.score,
        score=report.score.overall,
        drop=drop,
        max_drop=max_drop,
        new_critical=new,
    )


def finding_annotations(report: Report) -> list[Annotation]:
    """Secrets and workflow findings with a line, most severe first."""
    found: list[tuple[int, Annotation]] = []
    for secret in report.secrets.findings:
        message = (
            f"{secret.description}. If it is real, revoke it and remove it from the"
            " history; the value is never copied into this check."
        )
        title = f"Possible secret: {secret.rule}"
        found.append(_note(secret.path, secret.line, secret.severity, title, message))
    for finding in report.workflow_security.findings:
        if finding.line is not None:
            message = finding.message + (f"\n{finding.url}" if finding.url else "")
            title = f"Workflow security: {finding.audit}"
            found.append(_note(finding.path, finding.line, finding.severity, title, message))
    return [note for _, note in sorted(found, key=lambda pair: pair[0])]


def _note(
    path: str, line: int, severity: Severity, title: str, message: str
) -> tuple[int, Annotation]:
    level = _LEVEL[severity]
    note = Annotation(
        path=path,
        start_line=line,
        end_line=line,
        annotation_level=level,
        title=title,
        message=message,
    )
    return _RANK[severity], note


def conclusion(report: Report, regressed: Regression | None) -> Conclusion:
    """Failure on a regression; neutral for a poor or critical band; else success."""
    if regressed is not None:
        return "failure"
    return "neutral" if report.score.band in ("poor", "critical") else "success"


def output(
    report: Report, regressed: Regression | None, *, shown: int, elsewhere: int
) -> CheckOutput:
    score = report.score
    title = f"Health {score.overall}/100 ({score.band})"
    if regressed is not None:
        title = f"Regression: {'; '.join(regressed.reasons)}"[:255]
    rows = "\n".join(
        f"| {c.category} | {'not assessed' if c.score is None else c.score} |"
        for c in score.categories
    )
    lines = [
        f"**Score {score.overall}/100**, band **{score.band}**.",
        "",
        "| category | score |",
        "|---|---|",
        rows,
        "",
        f"{len(report.secrets.findings)} possible secret(s), "
        f"{len(report.workflow_security.findings)} workflow finding(s); "
        f"{shown} annotated on the changed lines, {elsewhere} elsewhere (see the report).",
    ]
    if regressed is not None:
        lines += ["", "**Regression**: " + "; ".join(regressed.reasons) + "."]
        lines += [f"- new critical: `{key}`" for key in regressed.new_critical[:20]]
    return CheckOutput(title=title, summary="\n".join(lines)[:60_000])
