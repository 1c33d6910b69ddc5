"""Validate a CI file: the platform's JSON schema, our hardening policy, and (GitHub) zizmor."""

from __future__ import annotations

from libs.cigen.pins import PinTable
from libs.cigen.validate.policy import check_github, check_gitlab
from libs.cigen.validate.result import Finding, Validation, ValidatorRun, run_of
from libs.cigen.validate.schema import YamlSyntaxError, check_schema, parse_yaml, schema_names
from libs.cigen.validate.zizmor import DEFAULT_TIMEOUT, audit_workflow

__all__ = ["Finding", "Validation", "ValidatorRun", "validate"]


def validate(
    content: str,
    *,
    platform: str,
    path: str,
    pins: PinTable,
    zizmor: bool = True,
    zizmor_timeout: float = DEFAULT_TIMEOUT,
) -> Validation:
    """Validate `content`. With `zizmor=False` the zizmor run is reported as not run, so
    the result cannot pass: use it only where a partial check is what you want."""
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
        runs.append(_zizmor(content, path, zizmor, zizmor_timeout))
    return Validation.of(runs)


def _zizmor(
    content: str, path: str, enabled: bool, timeout: float
) -> tuple[ValidatorRun, list[Finding]]:
    if not enabled:
        return ValidatorRun(name="zizmor", status="not_run", reason="skipped by the caller"), []
    run = audit_workflow(content, path=path, timeout=timeout)
    if run.status == "not_run":
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
