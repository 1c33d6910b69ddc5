"""Validate a CI file: the platform's JSON schema, our hardening policy, and (GitHub)
zizmor and actionlint."""

from __future__ import annotations

from libs.analysis.workflows import audit_text
from libs.cigen.pins import PinTable
from libs.cigen.validate.actionlint import run_actionlint
from libs.cigen.validate.policy import check_github, check_gitlab
from libs.cigen.validate.result import Finding, Validation, ValidatorRun, run_of
from libs.cigen.validate.schema import YamlSyntaxError, check_schema, parse_yaml, schema_names

__all__ = ["Finding", "Validation", "ValidatorRun", "validate"]

ZIZMOR_TIMEOUT = 30.0
_SKIPPED = "skipped by the caller"


def validate(
    content: str,
    *,
    platform: str,
    path: str,
    pins: PinTable,
    linters: bool = True,
    zizmor_timeout: float = ZIZMOR_TIMEOUT,
) -> Validation:
    """Validate `content`. With `linters=False` the two subprocess validators (zizmor and
    actionlint) are reported as not run, so the result cannot pass: use it only where a
    partial check is what you want."""
    try:
        document = parse_yaml(content)
    except YamlSyntaxError as exc:
        finding = Finding(validator="schema", rule="yaml", message=f"not valid YAML: {exc}")
        return Validation.of([(run_of("schema", [finding]), [finding])])
    runs: list[tuple[ValidatorRun, list[Finding]]] = []
    schema = check_schema(document, platform)
    runs.append((run_of("schema", schema, schema_names(platform)), schema))
    policy = check_github(document, pins) if platform == "github" else check_gitlab(document)
    runs.append((run_of("policy", policy), policy))
    if platform == "github":
        runs.append(_zizmor(content, path, linters, zizmor_timeout))
        if linters:
            runs.append(run_actionlint(content, path=path))
        else:
            runs.append((ValidatorRun(name="actionlint", status="not_run", reason=_SKIPPED), []))
    return Validation.of(runs)


def _zizmor(
    content: str, path: str, enabled: bool, timeout: float
) -> tuple[ValidatorRun, list[Finding]]:
    if not enabled:
        return ValidatorRun(name="zizmor", status="not_run", reason=_SKIPPED), []
    run = audit_text(content, path=path, timeout=timeout)
    if run.status != "ok":
        return ValidatorRun(name="zizmor", status="not_run", tool=run.tool, reason=run.reason), []
    findings = [
        Finding(
            validator="zizmor",
            rule=f.audit,
            message=f.message,
            severity=f.severity,
            line=f.line,
            url=f.url,
        )
        for f in run.findings
    ]
    return run_of("zizmor", findings, run.tool), findings
