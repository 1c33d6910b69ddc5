"""A Markdown report, for pull request comments and job summaries."""

from __future__ import annotations

from libs.analysis.report import Evidence, Report

_ICON = {"pass": "✅", "partial": "🟡", "fail": "❌", "not_applicable": "➖", "unknown": "❔"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _where(path: str, line: int | None) -> str:
    return f"`{_cell(path)}:{line}`" if line else f"`{_cell(path)}`"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(_cell(c) if not str(c).startswith("`") else str(c) for c in row) + " |"
        for row in rows
    ]
    return lines


def render_markdown(report: Report) -> str:
    s = report.score
    out = [f"# AutoDevOps report: {s.overall}/100 ({s.band})", ""]
    out += _table(
        ["Category", "Score"],
        [[c.category, c.score if c.score is not None else "n/a"] for c in s.categories],
    )
    out += ["", "## Stack", ""] + _stack(report)
    out += ["", "## Secrets", ""] + _secrets(report)
    out += ["", "## Workflow security", ""] + _workflows(report)
    out += ["", "## Checks", ""]
    out += _table(
        ["", "Check", "Category", "Result"],
        [[_ICON[c.status], c.id, c.category, c.message] for c in report.checks],
    )
    if report.recommendations:
        out += ["", "## Recommendations", ""]
    for r in report.recommendations:
        out.append(
            f"{r.priority}. **{_cell(r.title)}** ({r.severity}, {r.effort} effort): {_cell(r.fix)}"
        )
        out += [f"   - {_evidence(e)}" for e in r.evidence[:5]]
    return "\n".join(out) + "\n"


def _evidence(e: Evidence) -> str:
    return _where(e.path, e.line) + (f" {_cell(e.detail)}" if e.detail else "")


def _stack(report: Report) -> list[str]:
    out: list[str] = []
    if report.stack.languages:
        out += [", ".join(f"{lang.name} {lang.percent}%" for lang in report.stack.languages), ""]
    rows: list[list[object]] = [
        [
            f"`{_cell(sub.path)}`",
            ", ".join(m.name for m in sub.package_managers),
            ", ".join(f.name for f in sub.frameworks),
            ", ".join(f.name for f in sub.test_frameworks),
            ", ".join(f"{r.runtime} {r.version}" for r in sub.runtimes),
        ]
        for sub in report.stack.subprojects
    ]
    if rows:
        out += _table(["Project", "Package managers", "Frameworks", "Tests", "Runtimes"], rows)
    return out or ["Nothing detected."]


def _secrets(report: Report) -> list[str]:
    found = report.secrets.findings
    if not found:
        return [f"No credentials found in {report.secrets.files_scanned} files."]
    rows: list[list[object]] = [
        [f.severity, _where(f.path, f.line), f.description, f"`{_cell(f.preview)}`"] for f in found
    ]
    return _table(["Severity", "Location", "Rule", "Preview"], rows)


def _workflows(report: Report) -> list[str]:
    ws = report.workflow_security
    if ws.status == "not_run":
        return [f"Not run: {_cell(ws.reason)}"]
    if ws.status == "no_workflows":
        return ["No GitHub Actions workflows."]
    if not ws.findings:
        return [f"{ws.tool} found nothing."]
    rows: list[list[object]] = [
        [w.severity, _where(w.path, w.line), w.audit, w.message] for w in ws.findings
    ]
    return _table(["Severity", "Location", "Audit", "Message"], rows)
