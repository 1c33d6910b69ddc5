"""Deterministic recommendations: one per check that lost points, ordered by severity and effort.

They stand alone when AI is off, and are the base the AI step refines.
"""

from __future__ import annotations

from libs.analysis.report import Check, Effort, Recommendation, SecretsResult, Severity

SEVERITY_RANK: dict[Severity, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
EFFORT_RANK: dict[Effort, int] = {"low": 0, "medium": 1, "high": 2}
# (title, severity, effort) per check id
CATALOGUE: dict[str, tuple[str, Severity, Effort]] = {
    "leaked-secrets": ("Revoke and remove committed credentials", "critical", "medium"),
    "Dangerous-Workflow": ("Fix dangerous GitHub Actions patterns", "critical", "low"),
    "Token-Permissions": ("Restrict the GITHUB_TOKEN permissions", "high", "low"),
    "workflow-audit": ("Fix the workflow security findings", "high", "low"),
    "Pinned-Dependencies": ("Pin actions and base images to immutable versions", "medium", "low"),
    "Binary-Artifacts": ("Remove committed binaries", "medium", "medium"),
    "SAST": ("Add static security analysis to CI", "medium", "low"),
    "Security-Policy": ("Publish a security policy", "low", "low"),
    "dockerfile-non-root": ("Run containers as a non-root user", "medium", "low"),
    "dockerfile-pinned-base": ("Pin Docker base images", "medium", "low"),
    "ci-present": ("Set up continuous integration", "high", "medium"),
    "ci-runs-tests": ("Run the tests in CI", "high", "low"),
    "ci-runs-lint": ("Run linters in CI", "medium", "low"),
    "ci-caches": ("Cache dependencies in CI", "low", "low"),
    "tests-present": ("Add automated tests", "high", "high"),
    "Fuzzing": ("Fuzz the input handling", "low", "high"),
    "Dependency-Update-Tool": ("Automate dependency updates", "medium", "low"),
    "lockfile-committed": ("Commit lockfiles", "medium", "low"),
    "readme": ("Write a useful README", "medium", "low"),
    "License": ("Add a license", "medium", "low"),
    "contributing": ("Add a contributing guide", "low", "low"),
    "codeowners": ("Add CODEOWNERS", "low", "low"),
}


def recommend(checks: list[Check], secrets: SecretsResult | None = None) -> list[Recommendation]:
    """A recommendation for each failed or partial check, priority 1 first."""
    drafts: list[tuple[tuple[int, int, int], Recommendation]] = []
    for check in checks:
        if check.status not in ("fail", "partial") or check.fix is None:
            continue
        title, severity, effort = CATALOGUE.get(check.id, (check.message, "medium", "medium"))
        if check.status == "partial" and severity != "critical":
            severity = _milder(severity)
        if (
            check.id == "leaked-secrets"
            and secrets
            and all(f.severity in ("medium", "low", "info") for f in secrets.findings)
        ):
            severity = "high"
        draft = Recommendation(
            id=f"det-{check.id.lower()}",
            title=title,
            category=check.category,
            severity=severity,
            effort=effort,
            priority=0,
            fix=check.fix,
            evidence=check.evidence[:20],
        )
        key = (SEVERITY_RANK[severity], EFFORT_RANK[effort], -check.weight)
        drafts.append((key, draft))
    drafts.sort(key=lambda d: d[0])
    for index, (_, draft) in enumerate(drafts, start=1):
        draft.priority = index
    return [draft for _, draft in drafts]


def _milder(severity: Severity) -> Severity:
    order: list[Severity] = ["critical", "high", "medium", "low", "info"]
    return order[min(order.index(severity) + 1, len(order) - 1)]
