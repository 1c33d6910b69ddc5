"""The part of a stored report the dashboard shows, decoded from the stored JSON.

The api does not import libs.analysis (its analysers are the worker's); these types name
only the fields the pages read, each with the report's own default, and decoding skips
the rest. tests/unit/api/test_dashboard_parts.py decodes a real Report through them.
"""

from __future__ import annotations

import msgspec


class Evidence(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    line: int | None = None
    detail: str | None = None


class Check(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    category: str
    status: str
    message: str = ""
    evidence: list[Evidence] = []
    fix: str | None = None


class CategoryScore(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    score: int | None


class Score(msgspec.Struct, frozen=True, kw_only=True):
    overall: int = 0
    band: str = "critical"
    categories: list[CategoryScore] = []


class SecretFinding(msgspec.Struct, frozen=True, kw_only=True):
    rule: str
    description: str
    path: str
    line: int
    preview: str  # redacted by the scanner; the value itself is never stored
    severity: str = "high"


class Secrets(msgspec.Struct, frozen=True, kw_only=True):
    findings: list[SecretFinding] = []
    files_scanned: int = 0


class WorkflowFinding(msgspec.Struct, frozen=True, kw_only=True):
    audit: str
    severity: str
    path: str
    message: str
    line: int | None = None


class WorkflowSecurity(msgspec.Struct, frozen=True, kw_only=True):
    status: str = "no_workflows"
    reason: str | None = None
    findings: list[WorkflowFinding] = []


class Named(msgspec.Struct, frozen=True, kw_only=True):
    name: str


class Language(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    percent: float


class Subproject(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    package_managers: list[Named] = []
    frameworks: list[Named] = []
    test_frameworks: list[Named] = []


class Stack(msgspec.Struct, frozen=True, kw_only=True):
    languages: list[Language] = []
    subprojects: list[Subproject] = []


class Pipeline(msgspec.Struct, frozen=True, kw_only=True):
    system: str
    path: str


class Ci(msgspec.Struct, frozen=True, kw_only=True):
    pipelines: list[Pipeline] = []


class Recommendation(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    category: str
    severity: str
    effort: str
    fix: str
    evidence: list[Evidence] = []
    source: str = "deterministic"


class Ai(msgspec.Struct, frozen=True, kw_only=True):
    status: str = "off"
    reason: str | None = None
    model: str | None = None
    summary: str | None = None


class ReportView(msgspec.Struct, frozen=True, kw_only=True):
    stack: Stack = Stack()
    ci: Ci = Ci()
    secrets: Secrets = Secrets()
    workflow_security: WorkflowSecurity = WorkflowSecurity()
    checks: list[Check] = []
    score: Score = Score()
    recommendations: list[Recommendation] = []
    ai: Ai = Ai()


_decoder = msgspec.json.Decoder(ReportView)


def decode(stored: bytes) -> ReportView:
    return _decoder.decode(stored)
