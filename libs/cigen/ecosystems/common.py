"""What every ecosystem planner shares: reading a Subproject safely and ordering steps.

Everything in a Report was derived from repository content, which is untrusted: paths,
versions and commands are checked here before they can reach a workflow file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from libs.analysis.report import Fact, Subproject
from libs.cigen import versions
from libs.cigen.plan import Purpose, Runtime, Step

_SEGMENT = re.compile(r"^[A-Za-z0-9_@+][A-Za-z0-9._@+-]{0,99}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A CI run must check, never rewrite: commands like these always pass.
_REWRITES = re.compile(r"(--fix\b|--write\b|:fix\b|\bfix\b(?!-))")
MAX_COMMAND = 300

# The analysis names some package managers for people; planners use one word.
MANAGER_ALIASES = {
    "go modules": "go",
    "gomod": "go",
    "swift package manager": "swiftpm",
    "swift": "swiftpm",
    "dotnet": "nuget",
}
# Task runners the hosted runners and the usual images do not ship.
_MISSING_RUNNERS = ("just ", "task ", "mage ")

PURPOSES: tuple[Purpose, ...] = ("install", "format", "lint", "typecheck", "build", "test")


def safe_path(path: str) -> bool:
    """A repository-relative path made only of ordinary characters (no `..`, no `$`,
    no spaces), which we can put in YAML, globs and shell words without quoting."""
    if path == ".":
        return True
    parts = path.split("/")
    return all(_SEGMENT.match(p) and p not in (".", "..") for p in parts) and len(path) <= 300


def normalise_dir(path: str) -> str:
    path = path.strip().removeprefix("./").rstrip("/")
    return path or "."


def safe_command(run: str) -> bool:
    run = run.strip()
    return (
        0 < len(run) <= MAX_COMMAND
        and "${{" not in run
        and "{{" not in run
        and not _CONTROL.search(run)
    )


@dataclass
class Draft:
    """One subproject seen by one ecosystem planner."""

    sub: Subproject
    directory: str
    notes: list[str] = field(default_factory=list)
    members: tuple[str, ...] = ()  # workspace packages this job also covers

    def rel(self, path: str) -> str:
        """A path the Report gives for this subproject, repository-relative."""
        path = path.strip().removeprefix("./")
        if self.directory == "." or path == self.directory:
            return path
        if path.startswith(self.directory + "/"):
            return path
        return f"{self.directory}/{path}"

    def where(self) -> str:
        return "the repository root" if self.directory == "." else self.directory

    def names(self, facts: Iterable[object]) -> set[str]:
        return {getattr(f, "name", "").lower() for f in facts}

    def tools(self) -> set[str]:
        return self.names(self.sub.tools)

    def tests(self) -> set[str]:
        return self.names(self.sub.test_frameworks)

    def frameworks(self) -> set[str]:
        return self.names(self.sub.frameworks)

    def managers(self) -> set[str]:
        names = self.names(self.sub.package_managers)
        return {MANAGER_ALIASES.get(n, n) for n in names}

    def manager_facts(self, name: str) -> list[Fact]:
        return [
            f
            for f in self.sub.package_managers
            if MANAGER_ALIASES.get(f.name.lower(), f.name.lower()) == name
        ]

    def manager_fact_version(self, name: str) -> tuple[str | None, str | None]:
        """The declared version of a package manager and the file that declares it."""
        for fact in self.manager_facts(name):
            if fact.version and versions.is_exact(fact.version):
                return fact.version.removeprefix("v"), fact.source
        return None, None

    def lockfiles(self, *basenames: str) -> tuple[str, ...]:
        found = []
        for path in self.sub.lockfiles:
            full = self.rel(path)
            if full.rsplit("/", 1)[-1] in basenames and safe_path(full):
                found.append(full)
        return tuple(found)

    def manifest_paths(self, *basenames: str) -> tuple[str, ...]:
        found = (self.rel(m) for m in self.sub.manifests if m.rsplit("/", 1)[-1] in basenames)
        return tuple(p for p in found if safe_path(p))

    def runtime(self, name: str, **options: str) -> Runtime:
        choice = versions.choose(name, self.sub.runtimes)
        if choice.note:
            self.notes.append(f"{self.where()}: {choice.note}")
        return Runtime(
            name=name,
            versions=choice.versions,
            declared_in=choice.declared.source if choice.declared else None,
            options=options,
        )

    def repo_steps(self, purpose: Purpose) -> list[Step]:
        """The repository's own commands for a purpose, when they are safe to run in CI."""
        steps = []
        for command in self.sub.commands:
            if command.purpose != purpose:
                continue
            run = command.run.strip()
            if not safe_command(run):
                self.notes.append(
                    f"{self.where()}: skipped the {purpose} command from {command.source}: "
                    "it is empty, too long or contains characters a workflow must not carry"
                )
                continue
            if run.startswith(_MISSING_RUNNERS):
                self.notes.append(
                    f"{self.where()}: used our own {purpose} step instead of `{run}` from "
                    f"{command.source}: {run.split()[0]} is not installed on CI runners"
                )
                continue
            rewrites = purpose == "format" and "check" not in run
            if rewrites or (purpose in ("lint", "format") and _REWRITES.search(run)):
                self.notes.append(
                    f"{self.where()}: skipped `{run}` from {command.source}: it rewrites "
                    "files instead of checking them"
                )
                continue
            steps.append(Step(name=_title(purpose, run), run=run, purpose=purpose))
        return steps


def _title(purpose: Purpose, run: str) -> str:
    label = {"typecheck": "Type-check", "install": "Install dependencies"}.get(
        purpose, purpose.capitalize()
    )
    return f"{label} ({run})" if len(run) <= 40 else label


def step(purpose: Purpose, run: str, *, tool: str | None = None, name: str | None = None) -> Step:
    return Step(name=name or _title(purpose, run), run=run, purpose=purpose, tool=tool)


def assemble(draft: Draft, defaults: Sequence[Step]) -> list[Step]:
    """Our default steps, with the repository's own command taking the place of ours for
    every purpose it defines one for; in install, check, build, test order."""
    steps: list[Step] = []
    for purpose in PURPOSES:
        mine = [s for s in defaults if s.purpose == purpose]
        theirs = draft.repo_steps(purpose) if purpose != "install" else []
        steps.extend(theirs or mine)
    return steps
