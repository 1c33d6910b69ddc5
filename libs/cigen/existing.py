"""Respect existing CI: choose a path that overwrites nothing, and say what we add or fix."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from libs.analysis.ci.commands import classify
from libs.analysis.report import Pipeline, Report
from libs.cigen.evidence import ci_commands
from libs.cigen.plan import Plan

DEFAULT_PATHS = {"github": ".github/workflows/ci.yml", "gitlab": ".gitlab-ci.yml"}
PROPOSAL_PATHS = {
    "github": ".github/workflows/autodevops-ci.yml",
    "gitlab": ".gitlab/autodevops-ci.yml",
}
_SYSTEM = {"github": "github_actions", "gitlab": "gitlab_ci"}

# zizmor audit -> what the generated workflow does about it
_FIXES = {
    "unpinned-uses": "pins every action to a vetted commit SHA",
    "excessive-permissions": "limits the workflow token to reading the repository",
    "artipacked": "checks out without persisting credentials",
    "template-injection": "keeps event data out of shell commands",
    "dangerous-triggers": "runs on pull_request, never pull_request_target",
    "cache-poisoning": "caches only dependencies keyed on lockfiles",
}


@dataclass(frozen=True)
class Target:
    path: str
    proposal: bool
    replaces_own: bool  # an earlier AutoDevOps proposal at the same path


def choose_target(platform: str, pipelines: Sequence[Pipeline]) -> Target:
    same = [p for p in pipelines if p.system == _SYSTEM[platform]]
    existing = {p.path for p in pipelines}
    if not pipelines:
        return Target(DEFAULT_PATHS[platform], proposal=False, replaces_own=False)
    if not same and DEFAULT_PATHS[platform] not in existing:
        return Target(DEFAULT_PATHS[platform], proposal=True, replaces_own=False)
    proposal = PROPOSAL_PATHS[platform]
    return Target(proposal, proposal=True, replaces_own=proposal in existing)


def explain(
    report: Report, plan: Plan, target: Target, pipelines: Sequence[Pipeline], platform: str
) -> list[str]:
    """Short sentences: what the file runs and, beside existing CI, what it adds or fixes."""
    lines = [_summary(plan, platform)]
    if not target.proposal:
        return lines
    others = [p for p in pipelines if p.path != target.path]
    names = ", ".join(p.path for p in others) or "the existing CI"
    lines.insert(0, f"A proposal beside {names}: nothing existing was changed.")
    if target.replaces_own:
        lines.append(f"It replaces the earlier AutoDevOps proposal at {target.path}.")
    if platform == "gitlab":
        lines.append(
            f"GitLab reads only .gitlab-ci.yml: add `include: {target.path}` there "
            "(or move these jobs into it) once you have reviewed them."
        )
    lines += _adds(plan, others, report) + _fixes(report, others)
    return lines


def _summary(plan: Plan, platform: str) -> str:
    parts = []
    for job in plan.jobs:
        if job.runtime and job.runtime.versions:
            versions = ", ".join(job.runtime.versions)
            parts.append(f"{job.name} on {job.runtime.name} {versions}")
        else:
            parts.append(job.name)
    summary = f"Runs {len(plan.jobs)} job(s): " + "; ".join(parts) + "."
    if plan.code_scanning and platform == "gitlab":
        summary += " Includes GitLab's SAST jobs for the languages they detect."
    elif plan.code_scanning:
        languages = ", ".join(s.language for s in plan.code_scanning)
        summary += f" Scans the code for vulnerabilities with CodeQL ({languages})."
    return summary


# What a CI runs that may test, lint and build though its line does not say so: Maven's
# default goal (commons-lang's `mvn --batch-mode`), a PowerShell script (AutoMapper's
# Build.ps1), a task its matrix names and the analysis could not fill in; and a reusable
# workflow it calls (fastify's plugins-ci.yml).
_OPAQUE_RUN = re.compile(r"^(?:\./)?mvnw?(?:\s+-\S+)*\s*$|\.ps1\b|\$\{\{\s*matrix\.")
_REUSABLE = re.compile(r"\.github/workflows/")


def _adds(plan: Plan, others: Sequence[Pipeline], report: Report) -> list[str]:
    """What the workflow adds that no existing pipeline does: judged on everything the
    pipelines run, with the scripts and tasks they start (requests' CI runs `make ci`,
    whose recipe runs pytest), never claimed where one runs something we cannot read."""
    purposes = {s.purpose for job in plan.jobs for s in job.steps}
    tasks = [t for sub in report.stack.subprojects for t in sub.tasks]
    runs = ci_commands(others, tasks)
    uses = [u for p in others for j in p.jobs for u in j.uses]
    kinds = {classify(run) for run in runs}
    opaque = any(_OPAQUE_RUN.search(run.strip()) for run in runs)
    if opaque or any(_REUSABLE.search(u) for u in uses):
        kinds |= {"test", "lint", "build"}
    checks = [
        (
            "test",
            any(p.runs_tests for p in others) or "test" in kinds,
            "adds tests, which no existing pipeline runs",
        ),
        (
            "lint",
            any(p.runs_lint for p in others) or "lint" in kinds,
            "adds the configured linters, which no existing pipeline runs",
        ),
        (
            "build",
            any(p.builds for p in others) or "build" in kinds,
            "adds a build, which no existing pipeline runs",
        ),
    ]
    lines = [text for purpose, covered, text in checks if purpose in purposes and not covered]
    cached = any(j.lockfiles for j in plan.jobs)
    if cached and not any(p.caches for p in others):
        lines.append("adds dependency caching keyed on the lockfiles")
    if any(j.docker for j in plan.jobs) and not any(p.builds for p in others):
        lines.append("adds a Docker image build")
    return [f"It {line}." for line in lines]


def _fixes(report: Report, others: Sequence[Pipeline]) -> list[str]:
    paths = {p.path for p in others}
    audits = Counter(f.audit for f in report.workflow_security.findings if f.path in paths)
    lines = []
    for audit, fix in _FIXES.items():
        if audits.get(audit):
            lines.append(
                f"It {fix} ({audits[audit]} {audit} finding(s) in the existing workflows)."
            )
    rest = sum(n for audit, n in audits.items() if audit not in _FIXES)
    if rest:
        lines.append(
            f"It has none of the other {rest} zizmor finding(s) of the existing workflows."
        )
    return lines
