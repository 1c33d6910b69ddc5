"""The neutral CI plan: what to run, independent of the platform that runs it.

A renderer turns a Plan into one platform's file; everything a renderer needs is here,
so a new platform is one more renderer and no change to planning.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# prepare: a command the repository's CI runs between its install and its checks, which
# writes files they read (`astro sync`, `prisma generate`)
Purpose = Literal["install", "prepare", "lint", "format", "typecheck", "test", "build"]
Ecosystem = Literal[
    "python",
    "node",
    "bun",
    "go",
    "rust",
    "java",
    "scala",
    "ruby",
    "php",
    "dotnet",
    "elixir",
    "swift",
    "dart",
    "flutter",
    "cmake",
    "make",
    "docker",
]


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """A shell command run in the job's directory. `tool` names a tool a renderer may
    provide its own way (e.g. the golangci-lint action) instead of running `run`."""

    name: str
    run: str
    purpose: Purpose
    tool: str | None = None
    # the one version of the job's matrix it runs on (None: every one): a type checker's
    # verdict depends on the Python it runs under, and projects type-check on one
    only_on: str | None = None
    # where it runs instead of the job's folder: ".." for a file the repository's CI
    # writes beside the checkout (djangoproject.com's ../conf/secrets.json)
    directory: str | None = None


class Runtime(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # python, node, go, rust, java, ruby, php, dotnet, elixir, swift, bun, dart...
    versions: tuple[str, ...]  # more than one: a matrix
    declared_in: str | None = None  # None: our default, nothing was declared
    options: dict[str, str] = {}  # e.g. {"otp": "27"} for elixir, {"distribution": "temurin"}

    @property
    def is_matrix(self) -> bool:
        return len(self.versions) > 1


class Service(msgspec.Struct, frozen=True, kw_only=True):
    """A container the tests talk to. `{host}` in url_env values is the address the job
    reaches it at, which differs per platform."""

    name: str  # also its hostname alias
    image: str
    port: int
    env: dict[str, str] = {}
    health: str | None = None  # a command run inside the container
    url_env: dict[str, str] = {}


class PathFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Run the job when a change touches `under` (directories), or, for `outside`, when a
    change touches anything not under those directories (a root project in a monorepo)."""

    key: str  # the output name a renderer may need
    under: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()


class DockerBuild(msgspec.Struct, frozen=True, kw_only=True):
    dockerfile: str
    context: str


class Job(msgspec.Struct, kw_only=True):
    id: str
    name: str  # e.g. "api (Python)"
    ecosystem: Ecosystem
    label: str = ""  # the ecosystem for people, e.g. "Python"
    directory: str = "."
    runtime: Runtime | None = None
    manager: str | None = None  # the package manager: pip, uv, pnpm, gradle, ...
    manager_version: str | None = None
    manager_pinned_in_manifest: bool = False  # e.g. package.json "packageManager"
    lockfiles: tuple[str, ...] = ()  # repository-relative: the cache key
    tools: tuple[str, ...] = ()  # configured tools a setup step must provide
    services: list[Service] = []
    env: dict[str, str] = {}
    # Debian/Ubuntu build headers and tools installed with apt before anything else
    # (python-ldap builds against libldap2-dev); only ever -dev packages and build tools
    system_packages: tuple[str, ...] = ()
    steps: list[Step] = []
    timeout_minutes: int = 15
    # windows: .NET Framework targets, which build and test only on Windows
    os: Literal["linux", "windows"] = "linux"
    filter: PathFilter | None = None  # None: every change runs it
    docker: DockerBuild | None = None
    # check out every commit and tag, not one commit: the version comes from git tags
    history: bool = False
    # the repository folders the job's folder depends on by a local path ("." the root):
    # a change there is a change to it (the path filter follows)
    path_dependencies: tuple[str, ...] = ()

    def path(self, name: str) -> str:
        """A path inside the job's directory, repository-relative."""
        return name if self.directory == "." else f"{self.directory}/{name}"


def apt_install(packages: tuple[str, ...], *, sudo: bool = True) -> str:
    """The one command that installs a job's system packages: from the distribution of
    the pinned runner or image (its release pins their versions), nothing recommended."""
    prefix = "sudo " if sudo else ""
    return (
        f"{prefix}apt-get update && {prefix}apt-get install -y --no-install-recommends "
        + " ".join(packages)
    )


class CodeScan(msgspec.Struct, frozen=True, kw_only=True):
    """Static analysis of one language (CodeQL's names: python, javascript-typescript...)."""

    language: str
    build_mode: str  # "none" or "autobuild"


class Plan(msgspec.Struct, kw_only=True):
    name: str = "CI"
    default_branch: str = "main"
    jobs: list[Job] = []
    code_scanning: list[CodeScan] = []  # empty: no static analysis job
    notes: list[str] = []  # decisions worth telling the user (defaults taken, things skipped)
    # check out the git submodules too (tomlkit's tests read the toml-test submodule)
    submodules: bool = False

    @property
    def filtered(self) -> list[Job]:
        return [job for job in self.jobs if job.filter is not None]
