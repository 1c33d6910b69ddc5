"""Hygiene checks: OpenSSF Scorecard checks computed from a clone, and project practices.

Every point a repository loses is one of these checks, with its evidence and a fix.
"""

from __future__ import annotations

from collections.abc import Callable

from libs.analysis.hygiene import practices, security
from libs.analysis.hygiene.inputs import Inputs
from libs.analysis.report import Check

CHECKS: tuple[Callable[[Inputs], Check], ...] = (
    security.leaked_secrets,
    security.dangerous_workflow,
    security.token_permissions,
    security.workflow_audit,
    security.pinned_dependencies,
    security.binary_artifacts,
    security.sast,
    security.security_policy,
    security.dockerfile_non_root,
    security.dockerfile_pinned_base,
    practices.ci_present,
    practices.ci_runs_lint,
    practices.ci_caches,
    practices.packaging,
    practices.ci_runs_tests,
    practices.tests_present,
    practices.fuzzing,
    practices.dependency_update_tool,
    practices.lockfile_committed,
    practices.readme,
    practices.license_file,
    practices.contributing,
    practices.codeowners,
)

__all__ = ["CHECKS", "Inputs", "run_checks"]


def run_checks(inputs: Inputs) -> list[Check]:
    return [run(inputs) for run in CHECKS]
