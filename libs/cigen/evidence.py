"""What the repository's own CI says, preferred over our defaults: the branch it runs on,
and the environment its test steps set (rich's tests need a terminal width; a suite
reads `COLUMNS`, `TZ` or `PYTHONHASHSEED` from there). Each use is a note naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import msgspec

from libs.analysis.ci.commands import apt_packages
from libs.analysis.ci.jobs import GITHUB_REF, SHELL_REF, Matrix
from libs.analysis.report import CiCommand, CiJob, Pipeline, RuntimeVersion, Subproject, Task
from libs.cigen.ecosystems.ownership import FAMILY, command_family
from libs.cigen.ecosystems.shell import safe_command
from libs.cigen.services import service_kind

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
RUNTIMES: dict[str, tuple[str, ...]] = {
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


def ci_test_env(
    pipelines: Sequence[Pipeline], ecosystem: str, services: Collection[str] = ()
) -> dict[str, tuple[str, str]]:
    """Variables the repository's CI sets where it runs tests of this ecosystem: name ->
    (value, file). Only plain values, never credentials, runner variables or service
    addresses (our service containers set their own). They come from one CI job, never
    several: django-debug-toolbar's MySQL job sets DB_BACKEND=mysql and its SQLite job
    DB_NAME=:memory:, which together point the tests at a MySQL we do not run. That job
    is the one whose service containers ours (`services`: their kinds) provide, fewest
    others first, then one of a workflow that checks changes, then the first."""
    family = FAMILY.get(ecosystem)
    jobs = [(p, j) for p in pipelines for j in p.jobs if not j.foreign and _tests_family(j, family)]
    if not jobs:
        return {}

    def fit(item: tuple[int, tuple[Pipeline, CiJob]]) -> tuple[int, bool, int]:
        order, (pipeline, job) = item
        others = {service_kind(image) for image in job.services} - set(services)
        return (len(others), not checks_changes(pipeline), order)

    _, (pipeline, job) = min(enumerate(jobs), key=fit)
    env: dict[str, tuple[str, str]] = {}
    tests = [c for c in job.commands if c.kind == "test"]
    for values in (job.env, *(c.env for c in tests)):
        for key, value in values.items():
            if _NAME.match(key) and not _NOT_OURS.search(key) and _VALUE.match(value):
                env.setdefault(key, (value, pipeline.path))
    return env


def ci_service_images(pipelines: Sequence[Pipeline], ecosystem: str) -> dict[str, str]:
    """The service container images the repository's CI runs beside tests of this
    ecosystem: image -> file."""
    family = FAMILY.get(ecosystem)
    return {
        image: pipeline.path
        for pipeline in pipelines
        for job in pipeline.jobs
        if _tests_family(job, family)
        for image in job.services
    }


def _tests_family(job: CiJob, family: str | None) -> bool:
    """Whether a CI job runs tests of our job's family."""
    return _checks_family(job, family, ("test",))


def task_chain(task: Task, tasks: Sequence[Task]) -> list[Task]:
    """A task and the tasks it runs first (its prerequisites, theirs...), once each."""
    by_name = {t.name: t for t in tasks if t.runner == task.runner}
    chain: list[Task] = []
    waiting = [task]
    while waiting and len(chain) < 50:
        current = waiting.pop(0)
        if current not in chain:
            chain.append(current)
            waiting += [by_name[n] for n in current.needs if n in by_name]
    return chain


def ci_commands(pipelines: Sequence[Pipeline], tasks: Sequence[Task]) -> tuple[str, ...]:
    """Everything the repository's CI runs, with the lines of the scripts it starts
    (starlette's `scripts/check`) and the bodies of the task-runner commands it starts
    (`npm run lint` -> the lint script), to ask whether it checks with a tool."""
    runs = [
        line
        for p in pipelines
        for j in p.jobs
        for c in j.commands
        for run in _legs(c.run, j)
        for line in (run, *_expanded(c.script))
    ]
    # tox-gh-actions runs the environments its [gh-actions] table maps the job's Python to
    # (pyjwt maps none to its lint environment), not the whole env_list
    mapped = any("tox-gh-actions" in run for run in runs)
    started = [
        task
        for task in tasks
        if any(form in run for form in _invocations(task) for run in runs)
        or (task.runner == "tox" and any(_runs_tox_env(run, task, mapped) for run in runs))
    ]
    # with what they run first (aruba's `rake lint` needs its rubocop task)
    bodies = [line for task in started for t in task_chain(task, tasks) for line in t.commands]
    return tuple(runs + bodies)


def _legs(run: str, job: CiJob) -> list[str]:
    """A command as each leg of its job's matrix runs it (tenacity's CI runs `poe ${{
    matrix.task }}` for the tasks check, lint and mypy), row by row, capped as the
    analysis caps a matrix; a reference the matrix cannot fill stays as written."""
    matrix = Matrix(axes=job.matrix, include=job.matrix_include, exclude=job.matrix_exclude)
    return matrix.expand(run, GITHUB_REF)


# `export SOURCE_FILES="starlette tests"`, `PREFIX=""`
_ASSIGN = re.compile(r"""^(?:export\s+)?([A-Za-z_]\w*)=(?:"([^"$`]*)"|'([^']*)'|([^\s"'$`]*))$""")


def _expanded(lines: Sequence[str]) -> list[str]:
    """A script's lines with the variables it assigns a plain value expanded, the first
    value of each (the default: starlette's `scripts/check` sets PREFIX="", then
    "venv/bin/" where a venv/ exists) so that `${PREFIX}mypy $SOURCE_FILES` reads as
    `mypy starlette tests`."""
    values: dict[str, str] = {}
    expanded = []
    for line in lines:
        found = _ASSIGN.match(line.strip())
        if found is not None:
            values.setdefault(found.group(1), next(g for g in found.groups()[1:] if g is not None))
        expanded.append(
            SHELL_REF.sub(lambda v: values.get(next(g for g in v.groups() if g), v.group(0)), line)
        )
    return expanded


def ci_runners(pipelines: Sequence[Pipeline]) -> tuple[str, ...]:
    """The runner labels (or images) of the CI jobs that check changes and run commands
    of the repository's own."""
    return tuple(
        dict.fromkeys(
            label
            for p in pipelines
            if checks_changes(p)
            for j in p.jobs
            if j.commands and not j.foreign
            for label in j.os
        )
    )


def ci_commands_in(pipelines: Sequence[Pipeline], directory: str) -> tuple[str, ...]:
    """What the repository's CI runs in this folder (its steps' working directory, or the
    root where they set none): a command for the packages of another folder (mealie's
    e2e suite in tests/e2e installs Playwright's browsers there) is not this job's."""
    return tuple(
        c.run
        for p in pipelines
        for j in p.jobs
        for c in j.commands
        if ci_folder(c.directory) == directory
    )


def ci_scripts_in(
    pipelines: Sequence[Pipeline], directory: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The repository scripts the CI's test commands start in this folder, with their
    lines (typer's `uv run bash scripts/test.sh`): a workflow that checks changes first,
    never a job that tests another repository."""
    ordered = sorted(pipelines, key=lambda p: not checks_changes(p))
    found = {
        c.run.strip(): c.script
        for p in ordered
        for j in p.jobs
        if not j.foreign
        for c in j.commands
        if c.script and c.kind == "test" and ci_folder(c.directory) == directory
    }
    return tuple(found.items())


# `pip install -r requirements/test.txt`, `uv pip install --requirement=x.txt`
_PIP_INSTALL = re.compile(r"\bpip3?\s+install\b")
_REQUIREMENT = re.compile(r"(?:^|\s)(?:-r|--requirement)(?:\s+|=)([\w./-]+\.txt)\b")


def ci_test_requirements(pipelines: Sequence[Pipeline], directory: str) -> tuple[str, ...]:
    """The requirements files the repository's CI installs with pip in this folder, in
    the jobs that run its Python tests or checks there (yarl's requirements/test.txt,
    arq's testing.txt and linting.txt; not a benchmark job's codspeed.txt nor the docs
    job's)."""
    found: list[str] = []
    for pipeline in pipelines:
        for job in pipeline.jobs:
            here = [c for c in job.commands if ci_folder(c.directory) == directory]
            if job.foreign or not _checks_family(job, "python"):
                continue
            if not any(c.kind in ("test", "lint") for c in here):
                continue
            for command in here:
                if _PIP_INSTALL.search(command.run):
                    found += [p.removeprefix("./") for p in _REQUIREMENT.findall(command.run)]
    return tuple(dict.fromkeys(found))


# tox started on its whole env_list (`tox`, `tox run`, `tox -p`), or on the environments
# a factor selects (`tox run -f lint`, attrs' CI)
_TOX = re.compile(
    r"(?:^|[\s;&|(])tox(?:\s+(?:run|r|run-parallel|p))?(?P<options>(?:\s+-\S+(?:\s+\S+)?)*)\s*$"
)


def _runs_tox_env(run: str, task: Task, mapped: bool = False) -> bool:
    """Whether a CI line starts tox on this environment: by name (`-e py,lint`), by a
    factor (`-f lint`), or as one of the whole env_list (no environment named); with
    tox-gh-actions (`mapped`), the Python environments and those its `[gh-actions]`
    table maps a Python to (python-dotenv's lint, on 3.13)."""
    env = task.name
    found = _TOX.search(run.strip())
    if found is None or re.search(r"\binstall\b", run):
        return False
    options = found.group("options").split()
    named = [options[i + 1] for i, o in enumerate(options[:-1]) if o in ("-e", "--env")]
    factors = [options[i + 1] for i, o in enumerate(options[:-1]) if o in ("-f", "--factor")]
    if not named and not factors:
        return not mapped or env.startswith(("py", "pypy")) or bool(task.gh_actions)
    envs = {e for value in named for e in value.split(",")}
    parts = env.split("-")
    return env in envs or any(f in parts for value in factors for f in value.split(","))


def _invocations(task: Task) -> tuple[str, ...]:
    """How CI may start a task: as recorded (`pnpm run lint`), pnpm's, yarn's and Bun's
    short form (`pnpm lint`), and tox 4's `run` command (flask's CI runs `uv run --locked
    tox run -e typing`: mypy and pyright)."""
    short = f"{task.runner} {task.name}"
    if task.runner in ("pnpm", "yarn", "bun") and task.run != short:
        return (task.run, short)
    if task.runner == "composer":  # koel's CI: `composer analyze -- --no-progress`
        return (task.run, short)
    if task.runner == "tox":
        return (task.run, f"tox run -e {task.name}", f"tox r -e {task.name}")
    return (task.run,)


# a version as CI names it: `16`, `3.10`, `20.x` (no expressions, no aliases)
_CI_VERSION = re.compile(r"^\d+(\.\d+){0,2}(\.x)?$")


def with_ci_runtimes(sub: Subproject, directory: str, pipelines: Sequence[Pipeline]) -> Subproject:
    """The subproject with the runtime versions its CI sets up, for runtimes it declares
    no version of (mealie's frontend declares no Node.js; its CI builds it on 16, and
    @nuxt/types 2 refuses Node.js 24): the newest its test jobs run (uuid's browser job
    tests on Node.js 20, its test job on 20, 22 and 24), or where no job that tests sets
    it up, the first workflow's newest. A CI job counts for a folder when its steps run
    in it (the root: when no step names a folder)."""
    declared = {r.runtime for r in sub.runtimes}
    # runtime -> (the job runs tests, version, file, field) for every version CI sets up
    seen: dict[str, list[tuple[bool, str, str, str]]] = {}
    for pipeline in pipelines:
        for job in pipeline.jobs:
            folders = {
                (c.directory or ".").removeprefix("./").rstrip("/") or "." for c in job.commands
            }
            if directory not in folders or (directory == "." and folders != {"."}):
                continue
            tests = any(c.kind == "test" for c in job.commands)
            for runtime in job.runtimes:
                if runtime.runtime in declared:
                    continue
                seen.setdefault(runtime.runtime, []).extend(
                    (tests, v.strip(), pipeline.path, runtime.source)
                    for v in runtime.versions
                    if _CI_VERSION.match(v.strip())
                )
    found = []
    for name, versions in seen.items():
        if not versions:
            continue
        tested = [v for v in versions if v[0]]
        # none tests: the first workflow's newest (starlight's auxiliary workflows set up a
        # newer Node.js than the jobs that build and check it)
        candidates = tested or [v for v in versions if v[2:] == versions[0][2:]]
        _, version, source, field = max(candidates, key=lambda v: _numbers(v[1]))
        found.append(
            RuntimeVersion(
                runtime=name, version=version, source=source, field=field, constraint="exact"
            )
        )
    if not found:
        return sub
    return msgspec.structs.replace(sub, runtimes=[*sub.runtimes, *found])


def _numbers(version: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", version)]


# A command that writes files the checks read: `astro sync`, `prisma generate`,
# `svelte-kit sync`, `nuxi prepare`, `npm run build`, `pnpm run build:types`...
_GENERATES = re.compile(
    r"^(?:[\w-]+:)*(?:sync|generate|gen|codegen|typegen|prepare|build|compile)(?::[\w-]+)*$"
)
# what is never ours to run before the checks: releasing, deploying, signing in, and
# programs that reach outside the job (containers, cloud and git hosts)
_OUTWARD = re.compile(
    r"^(?:[\w-]+:)*(?:publish|deploy|release|upload|push|login|sign|pack|dist|docs?)(?::[\w-]+)*$"
    r"|^(?:sudo|docker|docker-compose|podman|git|gh|curl|wget|aws|gcloud|az|kubectl|helm"
    r"|terraform|ssh|scp|rsync|twine|vercel|netlify|wrangler|firebase|surge)$",
    re.I,
)
# building the package's distributions (typer's test-redistribute job tests an sdist,
# rubocop's linting job installs the gem it builds): nothing the checks read, and its
# builder is not ours to install
_DISTRIBUTION = re.compile(
    r"-m\s+build\b|\bpyproject-build\b|\b(?:uv|poetry|hatch|pdm|flit)\s+build\b"
    r"|\b(?:sdist|bdist_wheel)\b|--sdist\b|--wheel\b|\bgem\s+build\b|\bcargo\s+package\b"
)
_SECRETISH = re.compile(r"secrets\.|<redacted>", re.I)


class CarriedCommand(msgspec.Struct, frozen=True, kw_only=True):
    """A command the repository's CI runs after its install and before its checks, as
    our job runs it (`cd docs && pnpm astro sync` from a job at the root)."""

    run: str
    kind: str  # the analysis's kind: build or other
    source: str  # the CI file


def ci_setup_commands(
    pipelines: Sequence[Pipeline], ecosystem: str, directory: str, members: Sequence[str] = ()
) -> list[CarriedCommand]:
    """Commands that generate files (types, clients, a build the tests import) which the
    repository's CI runs between its install and the checks of this job's ecosystem in
    this folder (starlight's `pnpm astro sync` before `pnpm lint`). Never a release,
    deploy or secret-using step; only where the check commands run in this folder (or a
    workspace package of it) and the command runs inside it."""
    found: dict[str, CarriedCommand] = {}
    for pipeline, job, first_check in _checking_jobs(pipelines, ecosystem, directory, members):
        if any(_SECRETISH.search(v) for v in job.env.values()):
            continue
        for command in job.commands[:first_check]:
            run = _carried(command, FAMILY.get(ecosystem), directory)
            if run is not None:
                carried = CarriedCommand(run=run, kind=command.kind, source=pipeline.path)
                found.setdefault(run, carried)
    return list(found.values())


# Debian/Ubuntu packages a build needs: headers (`libldap2-dev`) and build tools, never
# services or runtimes (postgresql, redis-server: service containers' business)
_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9.+-]{1,63}$")
BUILD_TOOLS = frozenset(
    {
        "build-essential",
        "pkg-config",
        "pkgconf",
        "gcc",
        "g++",
        "make",
        "cmake",
        "autoconf",
        "automake",
        "libtool",
        "swig",
        "gettext",
        "ninja-build",
        "meson",
    }
)


def build_package(name: str) -> bool:
    """A package our jobs may install: build headers (`-dev`) and build tools."""
    return bool(_PACKAGE.match(name)) and (name.endswith("-dev") or name in BUILD_TOOLS)


def system_packages(
    sub: Subproject,
    pipelines: Sequence[Pipeline],
    ecosystem: str,
    directory: str,
    members: Sequence[str] = (),
) -> tuple[list[str], str | None]:
    """The build headers and tools a job installs with apt, and the file that says so:
    what the repository's CI installs before the checks of this ecosystem in this folder
    (mealie's libldap2-dev for python-ldap); where no CI job checks them, what the
    folder's own Dockerfiles install (the runner then needs what the image build does)."""
    jobs = _checking_jobs(pipelines, ecosystem, directory, members)
    packages: list[str] = []
    source: str | None = None
    for pipeline, job, first_check in jobs:
        for command in job.commands[:first_check]:
            for name in apt_packages(command.run):
                if build_package(name) and name not in packages:
                    packages.append(name)
                    source = source or pipeline.path
    if jobs:
        return packages, source
    for fact in sub.system_packages:
        if build_package(fact.name) and fact.name not in packages:
            packages.append(fact.name)
            source = source or fact.source
    return packages, source


def _checking_jobs(
    pipelines: Sequence[Pipeline], ecosystem: str, directory: str, members: Sequence[str]
) -> list[tuple[Pipeline, CiJob, int]]:
    """CI jobs that check this ecosystem's code in this folder (or a workspace package
    of it), each with the index of its first check command."""
    family = FAMILY.get(ecosystem)
    folders = {directory, *members}
    found = []
    for pipeline in pipelines:
        for job in pipeline.jobs:
            checks = [i for i, c in enumerate(job.commands) if c.kind in ("test", "lint")]
            if not checks or not _checks_family(job, family):
                continue
            if all(ci_folder(job.commands[i].directory) in folders for i in checks):
                found.append((pipeline, job, checks[0]))
    return found


def _carried(command: CiCommand, family: str | None, directory: str) -> str | None:
    """How our job runs a command the CI ran before its checks, or None to leave it."""
    if command.kind not in ("build", "other") or command.shell not in (None, "bash", "sh"):
        return None
    first = command.run.split()[:1]
    if command.env or not first or "=" in first[0]:
        # a step's own variables, or the line's, are for its own purpose (tokens,
        # targets; `MIX_ENV=test`, which shellcheck also takes for a command's output)
        return None
    words = [w for w in command.run.split() if "=" not in w]
    if not words or any(_OUTWARD.match(w) for w in words) or _DISTRIBUTION.search(command.run):
        return None
    if not any(_GENERATES.match(w) for w in words[1:]):
        return None
    owner = command_family(command.run, "")
    if owner is not None and owner != family:
        return None
    where = ci_folder(command.directory)
    if where != directory and not (directory == "." or where.startswith(directory + "/")):
        return None
    inside = where if directory == "." else where.removeprefix(directory + "/")
    run = command.run.strip() if where == directory else f"cd {inside} && {command.run.strip()}"
    return run if safe_command(run) else None


def _checks_family(
    job: CiJob, family: str | None, kinds: tuple[str, ...] = ("test", "lint")
) -> bool:
    """Whether a CI job checks code of our job's family: by the runtimes it sets up, else
    by the programs its checks (commands of these kinds) start."""
    checks = [c for c in job.commands if c.kind in kinds]
    if family is None or not checks:
        return False
    runtimes = {r.runtime for r in job.runtimes}
    if runtimes:
        return bool(runtimes & set(RUNTIMES.get(family, ())))
    return any(command_family(c.run, "") == family for c in checks)


def ci_folder(directory: str | None) -> str:
    """A CI step's working directory as a repository folder ("." where it sets none)."""
    return (directory or ".").strip().removeprefix("./").rstrip("/") or "."


# events on which a workflow checks a change; one with none of them runs by the clock or by hand
ON_CHANGES = frozenset({"push", "pull_request", "merge_request", "merge_group"})


def checks_changes(pipeline: Pipeline) -> bool:
    """Whether a workflow runs on changes (a nightly one's jobs often test something else:
    djangoproject.com's against Django's main branch)."""
    return bool({t.event for t in pipeline.triggers} & ON_CHANGES)


def scheduled_builds(pipelines: Sequence[Pipeline]) -> dict[str, str]:
    """Folders whose build the repository's CI runs only on a schedule or by hand, with
    the CI file: maintenance (starlight's file-icons generator clones another repository
    and rewrites checked-in files in a weekly workflow that opens a pull request), not a
    build a change needs. A folder also built by a workflow that checks changes is not one."""
    scheduled: dict[str, str] = {}
    on_changes: set[str] = set()
    for pipeline in pipelines:
        events = {t.event for t in pipeline.triggers}
        if not events:
            continue  # a system whose triggers we do not read: no evidence either way
        for job in pipeline.jobs:
            for command in job.commands:
                if command.kind != "build":
                    continue
                folder = ci_folder(command.directory)
                if events & ON_CHANGES:
                    on_changes.add(folder)
                else:
                    scheduled.setdefault(folder, pipeline.path)
    return {f: source for f, source in scheduled.items() if f not in on_changes}
