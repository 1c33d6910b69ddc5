"""A terminal report: score first, then what was found, then what to do."""

from __future__ import annotations

from libs.analysis.report import Report, Subproject

_MARK = {
    "pass": "ok  ",
    "partial": "part",
    "fail": "FAIL",
    "not_applicable": "n/a ",
    "unknown": "??  ",
}
_COLORS = {"critical": "31;1", "high": "31", "medium": "33", "low": "36", "info": "2"}


def render_text(report: Report, *, color: bool = False) -> str:
    def tag(severity: str) -> str:
        label = f"{severity.upper():<8}"
        return f"\033[{_COLORS.get(severity, '0')}m{label}\033[0m" if color else label

    score = report.score
    cats = " · ".join(
        f"{c.category} {c.score if c.score is not None else 'n/a'}" for c in score.categories
    )
    commit = f" at {report.commit[:12]}" if report.commit else ""
    out = [
        f"AutoDevOps analysis{commit}: score {score.overall}/100 ({score.band})",
        f"  {cats}",
        "",
    ]
    out += _stack(report)
    out += _ci(report)
    secrets = report.secrets
    out.append(
        f"Secrets: {len(secrets.findings)} finding(s) in {secrets.files_scanned} files "
        f"({secrets.skipped_binary} binary and {secrets.skipped_large} too large skipped)"
    )
    for f in secrets.findings:
        out.append(f"  {tag(f.severity)} {f.path}:{f.line}  {f.description}  {f.preview}")
    if secrets.findings_truncated:
        out.append(f"  … and {secrets.findings_truncated} more")
    ws = report.workflow_security
    label = {"ok": ws.tool or "zizmor", "no_workflows": "no workflows"}.get(ws.status)
    out.append(f"Workflow security: {label or f'not run: {ws.reason}'}")
    for w in ws.findings:
        where = f"{w.path}:{w.line}" if w.line else w.path
        out.append(f"  {tag(w.severity)} {where}  {w.audit}: {w.message}")
    out += ["", "Checks:"]
    out += [f"  [{_MARK[c.status]}] {c.id:<24} {c.category:<13} {c.message}" for c in report.checks]
    if report.recommendations:
        out += ["", "Recommendations:"]
    for r in report.recommendations:
        out.append(f"  {r.priority:>2}. {tag(r.severity)} {r.effort} effort  {r.title}")
        out.append(f"      {r.fix}")
        for e in r.evidence[:3]:
            where = f"{e.path}:{e.line}" if e.line else e.path
            out.append(f"      - {where}  {e.detail or ''}".rstrip())
    stats = report.stats
    out += ["", f"{stats.files} files, {stats.bytes} bytes, {stats.duration_ms} ms"]
    return "\n".join(out) + "\n"


def _stack(report: Report) -> list[str]:
    out: list[str] = []
    langs = ", ".join(f"{lang.name} {lang.percent}%" for lang in report.stack.languages[:6])
    out.append(f"Languages: {langs or 'none detected'}")
    for sub in report.stack.subprojects:
        out.append(f"  {sub.path}: {_describe(sub)}")
    extras = report.stack.dockerfiles + report.stack.compose_files
    if extras:
        out.append(f"  containers: {', '.join(extras)}")
    return out


def _describe(sub: Subproject) -> str:
    parts = [", ".join(m.name for m in sub.package_managers) or "no package manager"]
    if sub.frameworks:
        parts.append("frameworks " + ", ".join(f.name for f in sub.frameworks))
    if sub.test_frameworks:
        parts.append("tests " + ", ".join(f.name for f in sub.test_frameworks))
    if sub.runtimes:
        parts.append(", ".join(f"{r.runtime} {r.version} ({r.source})" for r in sub.runtimes[:4]))
    return "; ".join(parts)


def _ci(report: Report) -> list[str]:
    out = [f"CI: {len(report.ci.pipelines) or 'no'} pipeline(s)"]
    for p in report.ci.pipelines:
        flags = (
            ("tests", p.runs_tests),
            ("lint", p.runs_lint),
            ("build", p.builds),
            ("cache", p.caches),
            ("release", p.releases),
        )
        does = [name for name, flag in flags if flag]
        out.append(f"  {p.system} {p.path} [{' '.join(does) or 'nothing recognised'}]")
    tools = ", ".join(t.name for t in report.ci.dependency_update_tools)
    out.append(f"Dependency updates: {tools or 'none'}")
    return out
