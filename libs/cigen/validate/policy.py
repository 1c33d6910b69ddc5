"""Our own hardening rules, checked on the parsed file.

zizmor audits most of these too; checking them here as well keeps the guarantee when
zizmor cannot run, and covers what its regular persona leaves out (missing concurrency,
actions that are pinned but not vetted, any expression at all inside `run:`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from libs.cigen.pins import PinTable
from libs.cigen.render.gitlab import SAST_TEMPLATE
from libs.cigen.validate.installs import unpinned
from libs.cigen.validate.result import Finding

_PINNED = re.compile(r"^(?P<action>[^@\s]+)@(?P<sha>[0-9a-f]{40})$")
_DANGEROUS_TRIGGERS = ("pull_request_target", "workflow_run")
# The only write a generated workflow grants, to the job that uploads code scanning results.
_JOB_WRITES = {"security-events"}


def _finding(rule: str, message: str, location: str) -> Finding:
    return Finding(validator="policy", rule=rule, message=message, location=location)


def _steps(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    jobs = document.get("jobs")
    if not isinstance(jobs, dict):
        return
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        for i, step in enumerate(job.get("steps") or []):
            if isinstance(step, dict):
                yield str(job_id), f"jobs.{job_id}.steps.{i}", step


def check_github(document: Any, pins: PinTable) -> list[Finding]:
    if not isinstance(document, dict):
        return [_finding("not-a-workflow", "the workflow is not a mapping", "(root)")]
    found: list[Finding] = []
    permissions = document.get("permissions")
    if not isinstance(permissions, dict) or any(v == "write" for v in permissions.values()):
        found.append(
            _finding("token-permissions", "top-level permissions must be read-only", "permissions")
        )
    triggers = document.get("on")
    names = triggers if isinstance(triggers, list | dict) else [triggers]
    for trigger in _DANGEROUS_TRIGGERS:
        if trigger in names:
            found.append(_finding("dangerous-trigger", f"uses {trigger}", "on"))
    if not isinstance(document.get("concurrency"), dict):
        found.append(_finding("concurrency", "superseded runs are not cancelled", "concurrency"))
    for job_id, job in (document.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        if "timeout-minutes" not in job:
            found.append(_finding("job-timeout", "job has no timeout-minutes", f"jobs.{job_id}"))
        granted = job.get("permissions")
        if granted is not None and not _job_permissions_ok(granted):
            found.append(
                _finding(
                    "job-permissions", "job grants more than security-events", f"jobs.{job_id}"
                )
            )
    for _, where, step in _steps(document):
        found.extend(_check_step(step, where, pins))
    return found + _unpinned_installs(document)


def _unpinned_installs(document: Any) -> list[Finding]:
    return [
        _finding("unpinned-install", f"installs {tool} without a version", where)
        for where, tool in unpinned(document)
    ]


def _job_permissions_ok(granted: Any) -> bool:
    if not isinstance(granted, dict):
        return False
    return all(v in ("read", "none") or k in _JOB_WRITES for k, v in granted.items())


def _check_step(step: dict[str, Any], where: str, pins: PinTable) -> list[Finding]:
    found: list[Finding] = []
    run = step.get("run")
    if isinstance(run, str) and "${{" in run:
        found.append(_finding("expression-in-run", "an expression is expanded inside run:", where))
    uses = step.get("uses")
    if isinstance(uses, str):
        match = _PINNED.match(uses)
        if match is None:
            found.append(_finding("unpinned-action", f"{uses} is not pinned to a commit", where))
        elif not pins.is_vetted(match["action"], match["sha"]):
            found.append(_finding("unvetted-action", f"{uses} is not in the vetted table", where))
        elif match["action"] == "actions/checkout":
            options = step.get("with") or {}
            if options.get("persist-credentials") is not False:
                found.append(
                    _finding("persist-credentials", "checkout keeps the token on disk", where)
                )
    return found


def check_gitlab(document: Any) -> list[Finding]:
    if not isinstance(document, dict):
        return [_finding("not-a-pipeline", "the pipeline is not a mapping", "(root)")]
    found: list[Finding] = []
    reserved = {"workflow", "default", "stages", "variables", "include", "image", "services"}
    for name, job in document.items():
        if name in reserved or str(name).startswith(".") or not isinstance(job, dict):
            continue
        if "timeout" not in job:
            found.append(_finding("job-timeout", "job has no timeout", str(name)))
    includes = document.get("include")
    if includes is not None and includes != [{"template": SAST_TEMPLATE}]:
        found.append(_finding("include", "the pipeline includes files we did not vet", "include"))
    return found + _unpinned_installs(document)
