"""The Report: everything one analysis found, as msgspec types the worker and api share.

REPORT_VERSION is part of the analysis cache key: bump it whenever what the analysers
detect, or how they score it, changes.
"""

from __future__ import annotations

from typing import Literal

import msgspec

REPORT_VERSION = 7

Severity = Literal["critical", "high", "medium", "low", "info"]
Effort = Literal["low", "medium", "high"]
Category = Literal["security", "ci_cd", "testing", "dependencies", "documentation"]
CheckStatus = Literal["pass", "partial", "fail", "not_applicable", "unknown"]
Band = Literal["excellent", "good", "fair", "poor", "critical"]
# what a command is for, as far as its text tells: the same words for CI steps, task
# runner recipes and documented commands
CommandKind = Literal["test", "lint", "build", "setup", "other"]
# what a task or a tox/nox environment is for
Purpose = Literal["test", "lint", "typecheck", "format", "build"]
# how a declared version binds: one version (or series, or alias such as "lts/iron"), a
# lower bound (go.mod's `go`, `cmake_minimum_required`, `rust-version`, a compiler
# release), or any other range (">=3.10,<3.13", "^20", Maven's "[17,22)")
Constraint = Literal["exact", "minimum", "range"]


class Evidence(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A place in the tree that supports a fact or a finding."""

    path: str
    line: int | None = None
    detail: str | None = None


class Fact(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A detected thing (a package manager, a framework, a tool) and the file it came from.

    `name` is a lower-case identifier (the tool's own name or command: "go", "swiftpm",
    "junit5", "rspec", "mix format") for package managers, test frameworks, tools and
    services, and a display name ("Next.js", "Spring Boot") for frameworks.
    """

    name: str
    source: str
    version: str | None = None
    # Tools and test frameworks: True when `source` is the tool's own configuration (a
    # config file, or its section of a shared file such as `[tool.ruff]`), False when only
    # a dependency on it is declared. Some tools cannot run without configuration.
    configured: bool = False
    # Python tools and test frameworks: the dependency declarations that list them, as
    # `project` (the package's own dependencies), `group:NAME` (a dependency group, with
    # include-group followed, or a poetry/pdm/uv/Pipfile dev group), `extra:NAME` (installed
    # only on request: optional dependencies, optional poetry groups) or a requirements file.
    groups: tuple[str, ...] = ()
    # Tools: what their configuration names for them to check (mypy's `files`, `packages`,
    # `modules`), so a CI step runs the tool on those and not on the whole tree; for a git
    # hooks runner, the ids of its hooks and the commands of its local ones.
    targets: tuple[str, ...] = ()


class RuntimeVersion(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A runtime version exactly as the repository declares it, and where."""

    runtime: str  # python, node, go, rust, java, ruby, dotnet, php, elixir, ...
    version: str  # verbatim: "3.12", ">=3.10,<3.13", "lts/iron", "1.22.3"
    source: str  # the file, e.g. ".python-version" or "pyproject.toml"
    field: str | None = None  # the key inside the file, e.g. "project.requires-python"
    constraint: Constraint = "exact"
    line: int | None = None  # 1-based, where the file has lines and the reader kept them


class Command(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A command the repository itself defines for a purpose (npm script, make target...)."""

    purpose: Literal["test", "lint", "typecheck", "format", "build"]
    run: str
    source: str


class Task(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A named task of a task runner (a Make target, a tox env, an npm script...)."""

    runner: str  # make, just, task, tox, nox, npm, yarn, pnpm, bun, composer, rake, poe, pdm
    name: str
    run: str  # how to invoke it from the project folder: "make test", "tox -e lint"
    source: str
    line: int | None = None
    purpose: Literal["test", "lint", "typecheck", "format", "build"] | None = None
    # what it runs: recipe lines, script body, tox `commands`, nox `session.run(...)`
    commands: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # tasks it runs first: Make prerequisites, tox `depends`
    deps: tuple[str, ...] = ()  # packages it installs: tox `deps`, nox `session.install`
    env: dict[str, str] = {}  # variables it sets: tox `setenv`, Taskfile `env`
    versions: tuple[str, ...] = ()  # interpreters it runs on: nox `python=`
    # the Pythons tox-gh-actions runs this tox environment on (tox.ini's `[gh-actions]`)
    gh_actions: tuple[str, ...] = ()


class DocCommand(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A command shown in a README/CONTRIBUTING section about testing or development."""

    run: str
    kind: CommandKind
    source: str
    line: int | None = None
    heading: str | None = None  # the section it was found under


class LockfileFormat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The format a lockfile is written in, which decides the tool versions that read it."""

    path: str
    manager: str  # pnpm, npm, yarn, bun, poetry, pdm, uv, cargo, bundler, composer
    version: str  # verbatim from the file: "9.0", "3", "1" (yarn classic), "8" (berry)
    field: str | None = None  # "lockfileVersion", "__metadata.version"...
    line: int | None = None
    # the tool version that wrote it, when the file says so ("# @generated by Poetry 1.8.3")
    generated_by: str | None = None
    # the tool versions that read it, as a range, where the format is known to decide it
    # (pnpm lockfile 9.0: ">=9"; 6.0: "8"); absent when any recent version does
    readers: str | None = None


class LanguageShare(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    files: int
    bytes: int
    percent: float


class Subproject(msgspec.Struct, kw_only=True):
    """A folder with its own manifest ("." for the repository root)."""

    path: str
    manifests: list[str] = []
    languages: list[LanguageShare] = []
    package_managers: list[Fact] = []
    lockfiles: list[str] = []
    frameworks: list[Fact] = []
    test_frameworks: list[Fact] = []
    runtimes: list[RuntimeVersion] = []
    tools: list[Fact] = []  # configured linters, formatters, type checkers
    services: list[Fact] = []  # postgres, redis, mysql, mongodb... that tests need
    # what the tests start their own containers with (testcontainers, docker compose):
    # test libraries needing Docker on the runner, not test frameworks
    test_containers: list[Fact] = []
    commands: list[Command] = []
    tasks: list[Task] = []  # every task of its task runners (commands has the purposeful ones)
    doc_commands: list[DocCommand] = []
    lockfile_formats: list[LockfileFormat] = []
    dockerfiles: list[str] = []
    # Debian/Ubuntu packages its own Dockerfiles install with apt (`libldap2-dev`), each
    # with the Dockerfile: what a build of the project needs beside its manifests
    system_packages: list[Fact] = []
    # the folder of the npm/yarn/pnpm, Cargo, Go or uv workspace this package belongs to
    workspace_root: str | None = None
    # the file and tool that derive the package's version from git tags (`pyproject.toml:
    # hatch-vcs`): its build needs the history and tags, not a shallow clone
    version_from_git: str | None = None
    # the file that makes the folder an installable Python package (pyproject.toml with
    # [project] or [build-system], setup.py), and its requirements files that install
    # the package itself (`-e .`): a job installing only the others installs it too
    python_package: str | None = None
    package_installed_by: list[str] = []
    # the repository folders it depends on by a local path ("." the root): viper's
    # remote/go.mod replaces viper with `../`, so a change there is a change to it
    path_dependencies: list[str] = []
    # Python declarations named for the tests (`group:test`, `extra:testing`): what the
    # tests import, whatever runs them (jsonschema's unittest suite needs jsonpath-ng)
    test_declarations: list[str] = []


class ImageBuild(msgspec.Struct, frozen=True, kw_only=True):
    """An image a compose file builds: its Dockerfile and the build context it is meant
    for (repository-relative), which a Dockerfile's COPY lines are relative to."""

    dockerfile: str
    context: str
    source: str  # the compose file


class Stack(msgspec.Struct, kw_only=True):
    languages: list[LanguageShare] = []
    subprojects: list[Subproject] = []
    dockerfiles: list[str] = []
    compose_files: list[str] = []
    image_builds: list[ImageBuild] = []
    submodules: bool = False  # the repository has git submodules (.gitmodules)

    @property
    def is_monorepo(self) -> bool:
        return len(self.subprojects) > 1


class CiCommand(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One command a CI job runs: a line of a `run:`/`script:` block, or a task's command."""

    run: str
    kind: CommandKind
    line: int | None = None
    step: str | None = None  # the step's name, where it has one
    directory: str | None = None  # the working directory the step sets
    env: dict[str, str] = {}  # variables the step itself sets
    shell: str | None = None  # bash, pwsh, cmd... where the step says
    # the lines of the repository script it starts (typer's `uv run bash scripts/test.sh`
    # sets TERMINAL_WIDTH and flags its tests read, then runs pytest)
    script: tuple[str, ...] = ()


class CiRuntime(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A runtime a job sets up, with every version it asks for across its matrix."""

    runtime: str  # python, node, go, java, ruby, php, dotnet, elixir, otp, rust, bun...
    versions: tuple[str, ...]  # verbatim; an unresolved expression stays as written
    source: str  # the input or key that names it ("python-version", "image", ".nvmrc")
    line: int | None = None


class CiJob(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    line: int | None = None
    os: list[str] = []  # runner labels or images, matrix expanded
    image: str | None = None  # the container the job runs in
    runtimes: list[CiRuntime] = []
    matrix: dict[str, list[str]] = {}  # each matrix axis and its values
    matrix_include: list[dict[str, str]] = []
    matrix_exclude: list[dict[str, str]] = []
    env: dict[str, str] = {}  # pipeline-wide and job variables (the job's win)
    services: list[str] = []  # service container images
    uses: list[str] = []  # actions, orbs, tasks and reusable workflows it calls
    commands: list[CiCommand] = []
    # it checks out another repository at the workspace root (tomlkit's integration job
    # tests poetry with it): its commands are that repository's
    foreign: bool = False


class CiTrigger(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    event: str  # push, pull_request, merge_request, schedule, tag, manual...
    branches: tuple[str, ...] = ()
    branches_ignore: tuple[str, ...] = ()
    line: int | None = None


class Pipeline(msgspec.Struct, kw_only=True):
    system: Literal[
        "github_actions",
        "gitlab_ci",
        "circleci",
        "travis",
        "appveyor",
        "azure_pipelines",
        "jenkins",
        "bitbucket",
    ]
    path: str
    runs_tests: bool = False
    runs_lint: bool = False
    builds: bool = False
    caches: bool = False
    releases: bool = False
    triggers: list[CiTrigger] = []
    jobs: list[CiJob] = []


class CiInfo(msgspec.Struct, kw_only=True):
    pipelines: list[Pipeline] = []
    dependency_update_tools: list[Fact] = []


class SecretFinding(msgspec.Struct, frozen=True, kw_only=True):
    """A likely credential. `preview` is redacted; the value itself never leaves the scanner."""

    rule: str
    description: str
    path: str
    line: int
    preview: str
    severity: Severity = "high"


class SecretsResult(msgspec.Struct, kw_only=True):
    findings: list[SecretFinding] = []
    files_scanned: int = 0
    bytes_scanned: int = 0
    skipped_large: int = 0
    skipped_binary: int = 0
    findings_truncated: int = 0  # findings past the report's cap, counted but not listed


class WorkflowFinding(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    audit: str  # zizmor's audit id, e.g. "unpinned-uses"
    severity: Severity
    path: str
    line: int | None = None
    message: str
    confidence: str | None = None
    url: str | None = None


class WorkflowSecurity(msgspec.Struct, kw_only=True):
    status: Literal["ok", "no_workflows", "not_run"] = "no_workflows"
    tool: str | None = None  # e.g. "zizmor 1.32.0"
    reason: str | None = None  # why it could not run
    findings: list[WorkflowFinding] = []


class Check(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One scored check: every point taken off is a check with its evidence and fix."""

    id: str  # e.g. "Token-Permissions", "readme", "lockfile-committed"
    category: Category
    status: CheckStatus
    weight: int  # how much it counts within its category
    score: float = 0.0  # 0..1 of the weight earned; ignored when not assessed
    message: str = ""
    evidence: list[Evidence] = []
    fix: str | None = None

    @property
    def assessed(self) -> bool:
        return self.status not in ("not_applicable", "unknown")


class CategoryScore(msgspec.Struct, kw_only=True):
    category: Category
    score: int | None  # None when no check of it could be assessed


class Score(msgspec.Struct, kw_only=True):
    overall: int
    band: Band
    categories: list[CategoryScore] = []


class Recommendation(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    title: str
    category: Category
    severity: Severity
    effort: Effort
    priority: int  # 1 = do first
    fix: str
    evidence: list[Evidence] = []
    source: Literal["deterministic", "ai"] = "deterministic"


class AiResult(msgspec.Struct, kw_only=True):
    """What the AI step did. With no GEMINI_API_KEY, status is "off" and nothing else."""

    status: Literal["off", "ok", "cached", "quota_exceeded", "failed", "skipped"] = "off"
    reason: str | None = None
    model: str | None = None
    summary: str | None = None
    dropped_recommendations: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    total_tokens: int = 0


class ScanStats(msgspec.Struct, kw_only=True):
    files: int = 0
    bytes: int = 0
    duration_ms: int = 0
    skipped_symlinks: int = 0
    skipped_large: int = 0
    # how the files were listed: "git" (ls-files, .gitignore respected) or "walk"
    listed_by: Literal["walk", "git"] = "walk"


class Report(msgspec.Struct, kw_only=True):
    version: int = REPORT_VERSION
    commit: str | None = None
    content_digest: str = ""  # sha256 over what the analysers read
    stack: Stack = msgspec.field(default_factory=Stack)
    ci: CiInfo = msgspec.field(default_factory=CiInfo)
    secrets: SecretsResult = msgspec.field(default_factory=SecretsResult)
    workflow_security: WorkflowSecurity = msgspec.field(default_factory=WorkflowSecurity)
    checks: list[Check] = []
    score: Score = msgspec.field(default_factory=lambda: Score(overall=0, band="critical"))
    recommendations: list[Recommendation] = []
    ai: AiResult = msgspec.field(default_factory=AiResult)
    stats: ScanStats = msgspec.field(default_factory=ScanStats)
