"""Report renderers: text for a terminal, Markdown, SARIF 2.1.0, JSON; and severity gating.

No renderer ever sees a secret value: findings carry only redacted previews.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import msgspec

from libs.analysis.render.markdown import render_markdown
from libs.analysis.render.sarif import render_sarif
from libs.analysis.render.text import render_text
from libs.analysis.report import Report, Severity

Format = Literal["text", "json", "markdown", "sarif"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")

__all__ = ["SEVERITIES", "Format", "findings", "render", "worst_at_or_above"]


def render(report: Report, fmt: Format, *, color: bool = False) -> str:
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(report)).decode() + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        return render_sarif(report)
    return render_text(report, color=color)


def findings(report: Report) -> Iterator[tuple[Severity, str]]:
    """Every finding with its severity: secrets, workflow audit results, recommendations."""
    for secret in report.secrets.findings:
        yield secret.severity, f"secret {secret.rule} in {secret.path}:{secret.line}"
    for finding in report.workflow_security.findings:
        yield finding.severity, f"workflow {finding.audit} in {finding.path}"
    for rec in report.recommendations:
        yield rec.severity, f"recommendation {rec.id}"


def worst_at_or_above(report: Report, threshold: Severity) -> list[str]:
    """Findings at or above `threshold`, for gating a pipeline."""
    limit = SEVERITIES.index(threshold)
    return [what for severity, what in findings(report) if SEVERITIES.index(severity) <= limit]
