"""What validation found, as stored with a generated CI file."""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.analysis.report import Severity

ValidatorName = Literal["schema", "policy", "zizmor", "actionlint"]
RunStatus = Literal["passed", "failed", "not_run"]


class Finding(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    validator: ValidatorName
    rule: str  # schema keyword, policy rule id, zizmor audit id or actionlint check
    message: str
    severity: Severity = "high"
    location: str | None = None  # e.g. "jobs.python.steps.0"
    line: int | None = None
    url: str | None = None


class ValidatorRun(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: ValidatorName
    status: RunStatus
    tool: str | None = None  # e.g. "zizmor 1.32.0", "github-workflows schema"
    reason: str | None = None  # why it did not run


class Validation(msgspec.Struct, kw_only=True):
    """`passed` only when every validator ran and none found anything."""

    passed: bool
    validators: list[ValidatorRun] = []
    findings: list[Finding] = []

    @classmethod
    def of(cls, runs: list[tuple[ValidatorRun, list[Finding]]]) -> Validation:
        validators = [run for run, _ in runs]
        findings = [f for _, found in runs for f in found]
        passed = all(v.status == "passed" for v in validators) and not findings
        return cls(passed=passed, validators=validators, findings=findings)


def run_of(name: ValidatorName, findings: list[Finding], tool: str | None = None) -> ValidatorRun:
    return ValidatorRun(name=name, status="failed" if findings else "passed", tool=tool)
