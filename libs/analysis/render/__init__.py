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

__all__ = [
    "FINDING_CHECKS",
    "ITEMISED_CHECKS",
    "SEVERITIES",
    "Format",
    "findings",
    "render",
    "worst_at_or_above",
]


def render(report: Report, fmt: Format, *, color: bool = False) -> str:
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(report)).decode() + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        return render_sarif(report)
    return render_text(report, color=color)


# Checks whose failure is something wrong in the tree (a workflow that runs untrusted
# code, an unpinned action, a committed binary, a container running as root): they gate
# a pipeline like findings do. The other checks fail for a practice not in place (no
# LICENSE, no SECURITY.md, no CI, no lockfile...), which gates only when asked for.
FINDING_CHECKS = frozenset(
    {
        "Dangerous-Workflow",
        "Token-Permissions",
        "Pinned-Dependencies",
        "Binary-Artifacts",
        "dockerfile-non-root",
        "dockerfile-pinned-base",
    }
)
# Checks whose findings are listed one by one (secrets, zizmor's): their own severities gate.
ITEMISED_CHECKS = frozenset({"leaked-secrets", "workflow-audit"})


def findings(report: Report, *, missing: bool = False) -> Iterator[tuple[Severity, str]]:
    """Every finding with its severity: secrets, workflow audit results, and the
    recommendations of checks that found something wrong; with `missing`, also those of
    practices that are not in place."""
    for secret in report.secrets.findings:
        yield secret.severity, f"secret {secret.rule} in {secret.path}:{secret.line}"
    for finding in report.workflow_security.findings:
        yield finding.severity, f"workflow {finding.audit} in {finding.path}"
    finding_ids = {f"det-{check.lower()}" for check in FINDING_CHECKS}
    itemised = {f"det-{check.lower()}" for check in ITEMISED_CHECKS}
    for rec in report.recommendations:
        if rec.id in itemised or (rec.id not in finding_ids and not missing):
            continue
        yield rec.severity, f"recommendation {rec.id}"


def worst_at_or_above(report: Report, threshold: Severity, *, missing: bool = False) -> list[str]:
    """Findings at or above `threshold`, for gating a pipeline (see `findings`)."""
    limit = SEVERITIES.index(threshold)
    return [
        what
        for severity, what in findings(report, missing=missing)
        if SEVERITIES.index(severity) <= limit
    ]
