"""From a Report to a neutral Plan: one job per (subproject, ecosystem), one per Dockerfile,
service containers where tests need them, and path filters when the repository has parts."""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from libs.analysis.report import Report
from libs.cigen.ecosystems import dart, jvm, node, others, python, systems
from libs.cigen.ecosystems.common import Draft, normalise_dir, safe_path
from libs.cigen.plan import CodeScan, DockerBuild, Job, PathFilter, Plan, Service
from libs.cigen.services import service_for

MAX_JOBS = 40
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
# (applies when any of these package managers is present, planner)
_PLANNERS: list[tuple[frozenset[str], Planner]] = [
    (frozenset(python.MANAGERS), python.plan),
    (frozenset(node.MANAGERS), node.plan),
    (frozenset({"go"}), systems.plan_go),
    (frozenset({"cargo"}), systems.plan_rust),
    (frozenset({"maven", "gradle"}), jvm.plan_java),
    (frozenset({"sbt"}), jvm.plan_scala),
    (frozenset({"bundler"}), others.plan_ruby),
    (frozenset({"composer"}), others.plan_php),
    (frozenset({"nuget"}), others.plan_dotnet),
    (frozenset({"mix"}), others.plan_elixir),
    (frozenset({"swiftpm"}), systems.plan_swift),
    (frozenset(dart.MANAGERS), dart.plan),
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


def build_plan(report: Report, *, default_branch: str = "main", code_scanning: bool = True) -> Plan:
    """Plan the CI for a repository. Raises NothingToGenerate when no stack is detected.
    With `code_scanning`, the plan adds static analysis of every language it can."""
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
        own = tuple(sorted(d for d, root in members.items() if root == directory))
        draft = Draft(sub, directory, notes, members=own)
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
        sub_jobs = [_place(planner(draft), draft) for planner in planners]
        packages = [Draft(s, d, notes) for d, s in subs.items() if d in own]
        _attach_services([draft, *packages], sub_jobs)
        jobs.extend(sub_jobs)
    jobs.extend(_docker_jobs(report, notes))
    if not jobs:
        raise NothingToGenerate("the analysis found no stack to build or test")
    if len(jobs) > MAX_JOBS:
        notes.append(f"planned the first {MAX_JOBS} of {len(jobs)} jobs")
        jobs = jobs[:MAX_JOBS]
    _name_jobs(jobs)
    _filter_jobs(jobs)
    scans = _code_scans(jobs) if code_scanning else []
    return Plan(default_branch=default_branch, jobs=jobs, notes=notes, code_scanning=scans)


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


def _planners_for(draft: Draft) -> list[Planner]:
    managers = draft.managers()
    chosen = [planner for names, planner in _PLANNERS if managers & names]
    if not chosen and "cmake" in managers:
        chosen = [systems.plan_cmake]
    elif not chosen and "make" in managers:
        chosen = [systems.plan_make]
    return chosen


def _place(job: Job, draft: Draft) -> Job:
    return msgspec.structs.replace(job, directory=draft.directory)


def _attach_services(drafts: list[Draft], jobs: list[Job]) -> None:
    """The containers the tests of these subprojects need (a workspace root's job also
    tests its packages) on the jobs that run tests."""
    services: list[Service] = []
    for draft in drafts:
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
                job.filter = PathFilter(key="root", outside=parts)
        else:
            job.filter = PathFilter(key=slug(job.directory), under=(job.directory,))
