"""From a Report to a neutral Plan: one job per (subproject, ecosystem), one per Dockerfile,
service containers where tests need them, and path filters when the repository has parts."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import msgspec

from libs.analysis.report import Pipeline, Report, Subproject
from libs.cigen.ecosystems import dart, jvm, node, others, python, systems
from libs.cigen.ecosystems.common import Draft, normalise_dir, safe_path, step
from libs.cigen.ecosystems.ownership import main_family
from libs.cigen.evidence import (
    ci_commands,
    ci_commands_in,
    ci_runners,
    ci_scripts_in,
    ci_service_images,
    ci_setup_commands,
    ci_test_env,
    ci_test_requirements,
    scheduled_builds,
    system_packages,
    with_ci_runtimes,
)
from libs.cigen.plan import CodeScan, DockerBuild, Job, PathFilter, Plan, Service, Step
from libs.cigen.preparation import ci_test_preparation
from libs.cigen.services import credentials, image_name, provisioned, service_for, service_kind

MAX_JOBS = 40
# folders whose manifests serve something other than the project itself: examples (and
# go-chi's `_examples`), benchmarks, fuzz targets, composer-bin-plugin tool installs
_ASIDE = re.compile(
    r"^_?(?:examples?|samples?|demos?|benchmarks?|bench|fuzz|perf|perf[-_]\w+|vendor-bin)$"
)
MAX_DOCKER_JOBS = 5

DISPLAY: dict[str, str] = {
    "python": "Python",
    "node": "Node.js",
    "bun": "Bun",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
    "scala": "Scala",
    "ruby": "Ruby",
    "php": "PHP",
    "dotnet": ".NET",
    "elixir": "Elixir",
    "swift": "Swift",
    "dart": "Dart",
    "flutter": "Flutter",
    "cmake": "C/C++",
    "make": "make",
    "docker": "Docker image",
}

Planner = Callable[[Draft], Job]
# (applies when any of these package managers is present, command family, planner)
_PLANNERS: list[tuple[frozenset[str], str, Planner]] = [
    (frozenset(python.MANAGERS), "python", python.plan),
    (frozenset(node.MANAGERS), "js", node.plan),
    (frozenset({"go"}), "go", systems.plan_go),
    (frozenset({"cargo"}), "rust", systems.plan_rust),
    (frozenset({"maven", "gradle"}), "jvm", jvm.plan_java),
    (frozenset({"sbt"}), "jvm", jvm.plan_scala),
    (frozenset({"bundler"}), "ruby", others.plan_ruby),
    (frozenset({"composer"}), "php", others.plan_php),
    (frozenset({"nuget"}), "dotnet", others.plan_dotnet),
    (frozenset({"mix"}), "elixir", others.plan_elixir),
    (frozenset({"swiftpm"}), "swift", systems.plan_swift),
    (frozenset(dart.MANAGERS), "dart", dart.plan),
]


class NothingToGenerate(ValueError):
    """The Report shows no stack a CI job can be planned for."""


# CodeQL language and build mode per ecosystem; PHP, Elixir, Scala, Dart and Swift (macOS
# only) have none.
CODEQL: dict[str, tuple[str, str]] = {
    "python": ("python", "none"),
    "node": ("javascript-typescript", "none"),
    "bun": ("javascript-typescript", "none"),
    "java": ("java-kotlin", "none"),
    "ruby": ("ruby", "none"),
    "dotnet": ("csharp", "none"),
    "rust": ("rust", "none"),
    "go": ("go", "autobuild"),
    "cmake": ("c-cpp", "autobuild"),
    "make": ("c-cpp", "autobuild"),
}


def build_plan(
    report: Report,
    *,
    default_branch: str = "main",
    code_scanning: bool = True,
    pipelines: Sequence[Pipeline] = (),
) -> Plan:
    """Plan the CI for a repository. Raises NothingToGenerate when no stack is detected.
    With `code_scanning`, the plan adds static analysis of every language it can;
    `pipelines` (the repository's own CI) lend their test environment to our jobs."""
    notes: list[str] = []
    jobs: list[Job] = []
    members = _workspace_members(report)
    subs = {normalise_dir(s.path): s for s in report.stack.subprojects}
    for sub in report.stack.subprojects:
        directory = normalise_dir(sub.path)
        if not safe_path(directory):
            notes.append(f"skipped a subproject whose path has unusual characters: {sub.path!r}")
            continue
        if directory in members:
            notes.append(
                f"{directory} is a package of the workspace at {members[directory]}, "
                "whose job installs and checks it"
            )
            continue
        aside = _not_a_project(sub, directory, subs)
        if aside:
            notes.append(f"{directory}: no CI job: {aside}")
            continue
        own = tuple(sorted(d for d, root in members.items() if root == directory))
        sub = with_ci_runtimes(sub, directory, pipelines)
        draft = Draft(
            sub,
            directory,
            notes,
            members=own,
            ci=ci_commands(pipelines, sub.tasks),
            ci_uses=tuple(u for p in pipelines for j in p.jobs for u in j.uses),
            ci_os=ci_runners(pipelines),
            ci_here=ci_commands_in(pipelines, directory),
            ci_scripts=ci_scripts_in(pipelines, directory),
            ci_requirements=ci_test_requirements(pipelines, directory),
            scheduled_builds=scheduled_builds(pipelines),
        )
        for tool in draft.unconfigured_tools():
            notes.append(
                f"{draft.where()}: no {tool.name} step: {tool.source} declares it, but it "
                "has no configuration and cannot run without one"
            )
        planners = _planners_for(draft)
        if not planners and draft.managers():
            notes.append(
                f"{draft.where()}: no CI job for {', '.join(sorted(draft.managers()))}; "
                "this package manager is not supported yet"
            )
        families = {family for family, _ in planners}
        shares = [(share.name, share.percent) for share in sub.languages]
        main = main_family(shares, families)
        sub_jobs = [
            _place(planner(replace(draft, family=family, main=main)), draft)
            for family, planner in planners
        ]
        packages = [Draft(s, d, notes) for d, s in subs.items() if d in own]
        _attach_services([draft, *packages], sub_jobs)
        _ci_env(sub_jobs, pipelines, draft)
        _ci_services(sub_jobs, pipelines, draft)
        checking = _checking(sub_jobs, draft)
        _ci_setup(checking, pipelines, draft)
        _ci_preparation(checking, pipelines, draft)
        jobs.extend(checking)
    jobs.extend(_docker_jobs(report, notes))
    if not jobs:
        raise NothingToGenerate("the analysis found no stack to build or test")
    if len(jobs) > MAX_JOBS:
        notes.append(f"planned the first {MAX_JOBS} of {len(jobs)} jobs")
        jobs = jobs[:MAX_JOBS]
    _name_jobs(jobs)
    _filter_jobs(jobs)
    scans = _code_scans(jobs) if code_scanning else []
    return Plan(
        default_branch=default_branch,
        jobs=jobs,
        notes=notes,
        code_scanning=scans,
        submodules=report.stack.submodules,
    )


def _not_a_project(sub: Subproject, directory: str, subs: dict[str, Subproject]) -> str:
    """Why a folder with a manifest is no project of its own to run CI for, or ''."""
    for part in directory.split("/"):
        if _ASIDE.match(part):
            return f"{part} holds examples, benchmarks, fuzz targets or tool installs"
    names = {m.rsplit("/", 1)[-1] for m in sub.manifests}
    configured = any(f.configured for f in [*sub.test_frameworks, *sub.tools])
    if directory != "." and names == {"package.json"} and not sub.commands and not configured:
        # redux's docs/package.json: dependencies of the documentation's code samples
        return "its package.json defines no scripts and configures no tool"
    if names == {"setup.py"}:
        # a setup.py inside another Python project's tree: a helper of its build (a C
        # extension, a vendored package), which the enclosing project's job tests
        parent = directory
        while parent != ".":
            parent = parent.rpartition("/")[0] or "."
            enclosing = subs.get(parent)
            if enclosing is not None and any(
                f.name in python.MANAGERS for f in enclosing.package_managers
            ):
                where = "the repository root" if parent == "." else parent
                return f"its setup.py sits inside the Python project at {where}"
    return ""


def _ci_env(jobs: list[Job], pipelines: Sequence[Pipeline], draft: Draft) -> None:
    """The variables the repository's CI sets where it runs these tests, on the jobs that
    run tests (what our job or its services set stays)."""
    for job in jobs:
        if not any(s.purpose == "test" for s in job.steps):
            continue
        taken = set(job.env) | {k for s in job.services for k in s.url_env}
        ours = [service_kind(s.image) for s in job.services]
        for key, (value, source) in ci_test_env(pipelines, job.ecosystem, ours).items():
            if key not in taken:
                job.env[key] = value
                draft.notes.append(
                    f"{draft.where()}: {DISPLAY[job.ecosystem]} tests run with {key}={value}, "
                    f"as {source} runs them"
                )


def _ci_services(jobs: list[Job], pipelines: Sequence[Pipeline], draft: Draft) -> None:
    """Say which service containers the repository's CI runs beside these tests that our
    jobs do not (mealie's LDAP test server): the tests that need one fail without it."""
    for job in jobs:
        if not any(s.purpose == "test" for s in job.steps):
            continue
        ours = {image_name(s.image) for s in job.services}
        for image, source in ci_service_images(pipelines, job.ecosystem).items():
            if image_name(image) in ours or provisioned(image):
                continue
            pinned = ":" in image.rsplit("/", 1)[-1] or "@" in image
            why = "" if pinned else ", and it names no version to pin it to"
            draft.notes.append(
                f"{draft.where()}: the repository's CI runs the `{image}` service container "
                f"beside its {DISPLAY[job.ecosystem]} tests ({source}); it is not carried "
                f"over (we provision only the databases, caches and queues we know{why}): "
                "tests that need it will fail until it is added"
            )


def _ci_setup(jobs: list[Job], pipelines: Sequence[Pipeline], draft: Draft) -> None:
    """What the repository's CI prepares before the checks these jobs carry over: the
    build headers it installs with apt, before everything (python-ldap builds against
    libldap2-dev), and the commands that generate files the checks read, right after the
    install (starlight lints types `astro sync` writes)."""
    for job in jobs:
        packages, source = system_packages(
            draft.sub, pipelines, job.ecosystem, draft.directory, draft.members
        )
        if packages:
            job.system_packages = tuple(packages)
            draft.notes.append(
                f"{draft.where()}: the {DISPLAY[job.ecosystem]} job installs "
                f"{', '.join(packages)} with apt first, as {source} does"
            )
        carried = ci_setup_commands(pipelines, job.ecosystem, draft.directory, draft.members)
        if not carried:
            continue
        prepare = [step("prepare", c.run) for c in carried]
        runs = {c.run for c in carried}
        # a build the CI runs before its checks runs there, not once more after the tests
        job.steps = _after_install([s for s in job.steps if s.run not in runs], prepare)
        for command in carried:
            draft.notes.append(
                f"{draft.where()}: the {DISPLAY[job.ecosystem]} job runs `{command.run}` "
                f"before its checks, as {command.source} does (it writes files they read)"
            )


def _ci_preparation(jobs: list[Job], pipelines: Sequence[Pipeline], draft: Draft) -> None:
    """The steps the repository's CI test job runs to prepare its tests (database roles
    and data, settings files; see preparation.py), after the install of each job that
    runs these tests."""
    for job in jobs:
        if not any(s.purpose == "test" for s in job.steps):
            continue
        databases = {
            kind: credentials
            for kind, credentials in map(credentials, job.services)
            if credentials is not None
        }
        carried, left = ci_test_preparation(
            pipelines, draft.sub.tasks, job.ecosystem, draft.directory, databases
        )
        label = DISPLAY[job.ecosystem]
        for why in left:
            draft.notes.append(f"{draft.where()}: the {label} job does not run the CI's {why}")
        if not carried:
            continue
        prepare = [
            Step(name=c.name, run="\n".join(c.lines), purpose="prepare", directory=c.directory)
            for c in carried
        ]
        job.steps = _after_install(job.steps, prepare)
        names = ", ".join(f"`{c.name}`" for c in carried)
        draft.notes.append(
            f"{draft.where()}: the {label} job runs {names} before its tests, as "
            f"{carried[0].source} does: its tests read what they prepare"
        )


def _after_install(steps: list[Step], added: list[Step]) -> list[Step]:
    """`added` right after the job's last install step (first, where it has none)."""
    installed = max((i + 1 for i, s in enumerate(steps) if s.purpose == "install"), default=0)
    return [*steps[:installed], *added, *steps[installed:]]


def _checking(jobs: list[Job], draft: Draft) -> list[Job]:
    """The jobs that run more than an install: one that only installs checks nothing."""
    kept = [job for job in jobs if any(s.purpose != "install" for s in job.steps)]
    for job in jobs:
        if job not in kept:
            draft.notes.append(
                f"{draft.where()}: no {DISPLAY[job.ecosystem]} job: it would only install "
                "dependencies (no tests, checks or build were found)"
            )
    return kept


def _code_scans(jobs: list[Job]) -> list[CodeScan]:
    found = dict.fromkeys(CODEQL[j.ecosystem] for j in jobs if j.ecosystem in CODEQL)
    # the workflows themselves, starting with this one
    found[("actions", "none")] = None
    return [CodeScan(language=lang, build_mode=mode) for lang, mode in found]


def _workspace_members(report: Report) -> dict[str, str]:
    """Workspace package folder -> its workspace root, when the root is a subproject too."""
    directories = {normalise_dir(s.path) for s in report.stack.subprojects}
    members: dict[str, str] = {}
    for sub in report.stack.subprojects:
        directory = normalise_dir(sub.path)
        # set by the analysis for npm/yarn/pnpm, Cargo, Go and uv workspace packages
        root = sub.workspace_root
        if root is not None and normalise_dir(root) in directories - {directory}:
            members[directory] = normalise_dir(root)
    return members


def _planners_for(draft: Draft) -> list[tuple[str, Planner]]:
    """The ecosystems with a job in this folder. CMake (or make) builds the folder where
    nothing else does, and beside the others where C or C++ is its largest language:
    nlohmann/json's Package.swift, for SwiftPM users, hid its CMake build and tests."""
    managers = draft.managers()
    chosen = [(family, planner) for names, family, planner in _PLANNERS if managers & names]
    shares = [(share.name, share.percent) for share in draft.sub.languages]
    if chosen and main_family(shares, {"c", *(f for f, _ in chosen)}) != "c":
        return chosen
    if "cmake" in managers:
        chosen.append(("c", systems.plan_cmake))
    elif "make" in managers and not chosen:
        chosen.append(("c", systems.plan_make))
    return chosen


_DOTNET_FILES = (".csproj", ".fsproj", ".vbproj", ".props")


def _place(job: Job, draft: Draft) -> Job:
    versioned = draft.sub.version_from_git
    # the job of the ecosystem whose build reads the version: Python's setuptools-scm or
    # hatch-vcs, .NET's MinVer (a project file), never the other jobs of the folder
    dotnet = versioned is not None and versioned.split(" (")[0].endswith(_DOTNET_FILES)
    history = versioned is not None and job.ecosystem == ("dotnet" if dotnet else "python")
    if history:
        draft.notes.append(
            f"{draft.where()}: the checkout takes every commit and tag: "
            f"{versioned} derives the version from git tags, which a one-commit clone lacks"
        )
    return msgspec.structs.replace(
        job,
        directory=draft.directory,
        history=history,
        # only paths we can put in a filter's pattern as they are
        path_dependencies=tuple(p for p in draft.sub.path_dependencies if safe_path(p)),
    )


def _attach_services(drafts: list[Draft], jobs: list[Job]) -> None:
    """The containers the tests of these subprojects need (a workspace root's job also
    tests its packages) on the jobs that run tests."""
    services: list[Service] = []
    for draft in drafts:
        own = {fact.name for fact in draft.sub.test_containers}
        if own and draft.sub.services:
            draft.notes.append(
                f"{draft.where()}: no service containers: the tests start their own "
                f"({', '.join(sorted(own))}, on the runner's Docker), and a service "
                "container would take the ports they need"
            )
            continue
        for fact in draft.sub.services:
            service = service_for(fact, draft.frameworks())
            if service is None:
                draft.notes.append(
                    f"{draft.where()}: tests may need {fact.name!r} (from {fact.source}); "
                    "no service container is provisioned for it"
                )
            elif service.name not in {s.name for s in services}:
                services.append(service)
    for job in jobs:
        if services and any(s.purpose == "test" for s in job.steps):
            job.services = list(services)


def _docker_jobs(report: Report, notes: list[str]) -> list[Job]:
    roots = {normalise_dir(s.path) for s in report.stack.subprojects}
    paths: list[str] = list(report.stack.dockerfiles)
    for sub in report.stack.subprojects:
        directory = normalise_dir(sub.path)
        draft = Draft(sub, directory, notes)
        paths.extend(draft.rel(p) for p in sub.dockerfiles)
    jobs: list[Job] = []
    for path in dict.fromkeys(p.strip().removeprefix("./") for p in paths):
        if not safe_path(path):
            notes.append(f"skipped a Dockerfile whose path has unusual characters: {path!r}")
            continue
        if len(jobs) == MAX_DOCKER_JOBS:
            notes.append(f"built the first {MAX_DOCKER_JOBS} Dockerfiles only")
            break
        composed = next((b for b in report.stack.image_builds if b.dockerfile == path), None)
        if composed is not None and safe_path(composed.context):
            context = composed.context  # what the image is meant to be built from
            if context != _nearest_root(path, roots):
                notes.append(f"{path}: built from {context}, as {composed.source} builds it")
        else:
            context = _nearest_root(path, roots)
        jobs.append(
            Job(
                id="",
                name="",
                ecosystem="docker",
                directory=context,
                docker=DockerBuild(dockerfile=path, context=context),
                timeout_minutes=30,
            )
        )
    return jobs


def _nearest_root(dockerfile: str, roots: set[str]) -> str:
    parts = dockerfile.split("/")[:-1]
    while parts:
        candidate = "/".join(parts)
        if candidate in roots:
            return candidate
        parts.pop()
    return "."


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value if value and value[0].isalpha() else f"p-{value}".rstrip("-")


def _name_jobs(jobs: list[Job]) -> None:
    per_directory: dict[str, int] = {}
    for job in jobs:
        if job.ecosystem != "docker":
            per_directory[job.directory] = per_directory.get(job.directory, 0) + 1
    taken: set[str] = set()
    for job in jobs:
        job.label = DISPLAY[job.ecosystem]
        if job.docker is not None:
            base = "-".join(filter(None, ("docker", _image_slug(job.docker.dockerfile))))
            job.name = f"{job.label} ({job.docker.dockerfile})"
        elif job.directory == ".":
            base, job.name = job.ecosystem, job.label
        else:
            base = slug(job.directory)
            if per_directory[job.directory] > 1:
                base = f"{base}-{job.ecosystem}"
            job.name = f"{job.directory} ({job.label})"
        job.id = _unique(base, taken)


def _image_slug(dockerfile: str) -> str:
    """web/Dockerfile -> web, Dockerfile.dev -> dev, docker/api.Dockerfile -> docker-api."""
    words = re.sub(r"(?i)dockerfile|containerfile", " ", dockerfile)
    return slug(words) if words.strip(" ./-_") else ""


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken or candidate == "changes":
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _filter_jobs(jobs: list[Job]) -> None:
    directories = {job.directory for job in jobs if job.docker is None}
    if len(directories) < 2:
        return
    parts = tuple(sorted(d for d in directories if d != "."))
    for job in jobs:
        if job.directory == ".":
            if job.docker is None:
                # a folder the root depends on by path (`replace x => ./sub`) is the root's
                outside = tuple(p for p in parts if p not in job.path_dependencies)
                job.filter = PathFilter(key="root", outside=outside)
        elif "." not in job.path_dependencies:
            # and the folders it depends on by path (log's test crate on `path = "../x"`)
            under = tuple(dict.fromkeys((job.directory, *job.path_dependencies)))
            job.filter = PathFilter(key=slug(job.directory), under=under)
        # a folder that depends on the root by path (viper's remote/go.mod replaces viper
        # with `../`) is changed by any change: no filter
