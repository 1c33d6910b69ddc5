"""The Report as compact text for the prompt: what the deterministic analysers already know."""

from __future__ import annotations

from collections.abc import Iterable

from libs.analysis.report import Fact, Report, Subproject

MAX_FINDINGS = 15
MAX_CHECKS = 25


def _names(facts: Iterable[Fact]) -> str:
    return ", ".join(f.name + (f" {f.version}" if f.version else "") for f in facts)


def _subproject(sub: Subproject) -> str:
    fields = [
        ("manifests", ", ".join(sub.manifests)),
        ("languages", ", ".join(f"{lang.name} {lang.percent:.0f}%" for lang in sub.languages)),
        ("package managers", _names(sub.package_managers)),
        ("lockfiles", ", ".join(sub.lockfiles)),
        ("frameworks", _names(sub.frameworks)),
        ("test frameworks", _names(sub.test_frameworks)),
        ("tests start containers with", _names(sub.test_containers)),
        ("runtimes", ", ".join(f"{r.runtime} {r.version} ({r.source})" for r in sub.runtimes)),
        ("tools", _names(sub.tools)),
        ("services", _names(sub.services)),
        ("commands", "; ".join(f"{c.purpose}: `{c.run}` ({c.source})" for c in sub.commands)),
    ]
    return f"- {sub.path}: " + "; ".join(f"{label} {value}" for label, value in fields if value)


def describe(report: Report) -> str:
    """Plain lines, most decisive first. Secret values never appear, only where they are."""
    score = report.score
    lines = [f"Health score: {score.overall}/100 ({score.band})"]
    categories = [f"{c.category} {c.score}" for c in score.categories if c.score is not None]
    if categories:
        lines.append("Category scores: " + ", ".join(categories))
    stack = report.stack
    if stack.languages:
        lines.append(
            "Languages: " + ", ".join(f"{x.name} {x.percent:.0f}%" for x in stack.languages[:8])
        )
    if stack.subprojects:
        lines.append("Projects:")
        lines += [_subproject(sub) for sub in stack.subprojects[:12]]
    if stack.dockerfiles or stack.compose_files:
        lines.append("Containers: " + ", ".join([*stack.dockerfiles, *stack.compose_files]))
    lines += _ci(report)
    lines += _findings(report)
    lines += _checks(report)
    if report.recommendations:
        lines.append("Already reported (do not repeat):")
        lines += [f"- {r.title} [{r.category}, {r.severity}]" for r in report.recommendations[:30]]
    return "\n".join(lines)


def _ci(report: Report) -> list[str]:
    lines = []
    if not report.ci.pipelines:
        lines.append("CI: none detected")
    for p in report.ci.pipelines:
        does = [
            name
            for name, flag in (
                ("tests", p.runs_tests),
                ("lint", p.runs_lint),
                ("build", p.builds),
                ("cache", p.caches),
                ("release", p.releases),
            )
            if flag
        ]
        lines.append(f"CI: {p.system} {p.path} ({', '.join(does) or 'no tests, lint or build'})")
    if report.ci.dependency_update_tools:
        lines.append("Dependency updates: " + _names(report.ci.dependency_update_tools))
    return lines


def _findings(report: Report) -> list[str]:
    lines = []
    found = report.secrets.findings
    if found:
        lines.append(f"Possible secrets committed ({len(found)}; values withheld):")
        lines += [f"- {f.path}:{f.line} {f.rule} ({f.severity})" for f in found[:MAX_FINDINGS]]
    security = report.workflow_security
    if security.status == "not_run" and security.reason:
        lines.append(f"Workflow audit not run: {security.reason}")
    if security.findings:
        lines.append(f"Workflow security findings ({security.tool or 'audit'}):")
        lines += [
            f"- {f.path}{f':{f.line}' if f.line else ''} {f.audit} ({f.severity}): {f.message}"
            for f in security.findings[:MAX_FINDINGS]
        ]
    return lines


def _checks(report: Report) -> list[str]:
    failing = [c for c in report.checks if c.status in ("fail", "partial")]
    if not failing:
        return []
    lines = ["Checks not passing:"]
    for check in failing[:MAX_CHECKS]:
        where = ", ".join(e.path for e in check.evidence[:3])
        lines.append(
            f"- {check.id} [{check.category}] {check.status}: {check.message}"
            + (f" ({where})" if where else "")
        )
    return lines
