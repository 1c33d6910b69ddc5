"""What the repository's own CI says, preferred over our defaults: the branch it runs on,
and the environment its test steps set (rich's tests need a terminal width; a suite
reads `COLUMNS`, `TZ` or `PYTHONHASHSEED` from there). Each use is a note naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from libs.analysis.report import CiJob, Pipeline, RuntimeVersion, Subproject, Task
from libs.cigen.ecosystems.ownership import FAMILY, command_family

_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
# plain values only: no expressions, no shell expansions, nothing long
_VALUE = re.compile(r"^[A-Za-z0-9_.:/,=+ -]{0,100}$")
# what the runner sets itself, or secrets and service credentials that are not ours to copy
_NOT_OURS = re.compile(
    r"^(CI|GITHUB_.*|RUNNER_.*|ACTIONS_.*|HOME|PATH)$|TOKEN|SECRET|PASSWORD|PASSWD|KEY|AUTH"
    r"|CREDENTIAL|CODECOV|COVERALLS|SENTRY|DSN|_URL$|_HOST$|_PORT$|_USER$|DATABASE"
)
_COMMON_DEFAULTS = ("main", "master", "trunk", "develop")
# the runtimes evidence names per family of our jobs
_RUNTIMES: dict[str, tuple[str, ...]] = {
    "python": ("python",),
    "js": ("node", "bun"),
    "go": ("go",),
    "rust": ("rust",),
    "jvm": ("java",),
    "ruby": ("ruby",),
    "php": ("php",),
    "dotnet": ("dotnet",),
    "elixir": ("elixir", "otp"),
}


def ci_branch(pipelines: Sequence[Pipeline]) -> tuple[str, str] | None:
    """The branch the repository's CI runs on pushes to, and the file that says so."""
    found: list[tuple[str, str]] = []
    for pipeline in pipelines:
        for trigger in pipeline.triggers:
            if trigger.event == "push":
                found += [
                    (b, pipeline.path) for b in trigger.branches if re.match(r"^[\w./-]+$", b)
                ]
    for name in _COMMON_DEFAULTS:
        match = next((item for item in found if item[0] == name), None)
        if match is not None:
            return match
    return None


def ci_test_env(pipelines: Sequence[Pipeline], ecosystem: str) -> dict[str, tuple[str, str]]:
    """Variables the repository's CI sets where it runs tests of this ecosystem: name ->
    (value, file). Only plain values, never credentials, runner variables or service
    addresses (our service containers set their own)."""
    family = FAMILY.get(ecosystem)
    env: dict[str, tuple[str, str]] = {}
    for pipeline in pipelines:
        for job in pipeline.jobs:
            if not _tests_family(job, family):
                continue
            tests = [c for c in job.commands if c.kind == "test"]
            for values in (job.env, *(c.env for c in tests)):
                for key, value in values.items():
                    if _NAME.match(key) and not _NOT_OURS.search(key) and _VALUE.match(value):
                        env.setdefault(key, (value, pipeline.path))
    return env


def _tests_family(job: CiJob, family: str | None) -> bool:
    """Whether a CI job runs tests of our job's family: by the runtimes it sets up, else
    by the programs its test commands start."""
    tests = [c for c in job.commands if c.kind == "test"]
    if family is None or not tests:
        return False
    runtimes = {r.runtime for r in job.runtimes}
    if runtimes:
        return bool(runtimes & set(_RUNTIMES.get(family, ())))
    return any(command_family(c.run, "") == family for c in tests)


def ci_commands(pipelines: Sequence[Pipeline], tasks: Sequence[Task]) -> tuple[str, ...]:
    """Everything the repository's CI runs, with the bodies of the task-runner commands it
    starts (`npm run lint` -> the lint script), to ask whether it checks with a tool."""
    runs = [c.run for p in pipelines for j in p.jobs for c in j.commands]
    bodies = [
        line
        for task in tasks
        if any(form in run for form in _invocations(task) for run in runs)
        for line in task.commands
    ]
    return tuple(runs + bodies)


def _invocations(task: Task) -> tuple[str, ...]:
    """How CI may start a task: as recorded (`pnpm run lint`), and pnpm's, yarn's and
    Bun's short form (`pnpm lint`)."""
    short = f"{task.runner} {task.name}"
    if task.runner in ("pnpm", "yarn", "bun") and task.run != short:
        return (task.run, short)
    return (task.run,)


# a version as CI names it: `16`, `3.10`, `20.x` (no expressions, no aliases)
_CI_VERSION = re.compile(r"^\d+(\.\d+){0,2}(\.x)?$")


def with_ci_runtimes(sub: Subproject, directory: str, pipelines: Sequence[Pipeline]) -> Subproject:
    """The subproject with the runtime versions its CI sets up, for runtimes it declares
    no version of (mealie's frontend declares no Node.js; its CI builds it on 16, and
    @nuxt/types 2 refuses Node.js 24). A CI job counts for a folder when its steps run
    in it (the root: when no step names a folder)."""
    declared = {r.runtime for r in sub.runtimes}
    found: dict[str, RuntimeVersion] = {}
    for pipeline in pipelines:
        for job in pipeline.jobs:
            folders = {
                (c.directory or ".").removeprefix("./").rstrip("/") or "." for c in job.commands
            }
            if directory not in folders or (directory == "." and folders != {"."}):
                continue
            for runtime in job.runtimes:
                plain = [v for v in runtime.versions if _CI_VERSION.match(v.strip())]
                if runtime.runtime in declared or runtime.runtime in found or not plain:
                    continue
                found[runtime.runtime] = RuntimeVersion(
                    runtime=runtime.runtime,
                    version=max((v.strip() for v in plain), key=_numbers),  # its newest
                    source=pipeline.path,
                    field=runtime.source,
                    constraint="exact",
                )
    if not found:
        return sub
    return msgspec.structs.replace(sub, runtimes=[*sub.runtimes, *found.values()])


def _numbers(version: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", version)]
