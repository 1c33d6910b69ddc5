"""What the ecosystem detectors share: the project being filled in, and small parsers."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from libs.analysis.parsing import as_str, dig, load_json, load_toml, load_yaml, parse_xml
from libs.analysis.report import Command, Constraint, Fact, RuntimeVersion, Subproject
from libs.analysis.tree import Tree

__all__ = [
    "Project",
    "as_str",
    "dig",
    "load_json",
    "load_toml",
    "load_yaml",
    "lookup",
    "parse_xml",
]

# Test libraries that start the containers the tests need (Testcontainers, Spring Boot's
# docker-compose support, pytest-docker): what the tests are written against is another
# framework (JUnit, pytest); these say the runner needs Docker, and free ports.
CONTAINER_STARTERS = frozenset({"testcontainers", "docker compose"})


@dataclass
class Project:
    """A subproject while detectors fill it in; `done()` gives the report type."""

    path: str
    tree: Tree
    ecosystems: set[str] = field(default_factory=set)
    workspace_root: str | None = None
    # a documentation site (Docusaurus, VitePress...): its code documents the project
    docs_site: bool = False
    sub: Subproject = field(init=False)

    def __post_init__(self) -> None:
        self.sub = Subproject(path=self.path)

    def view(self, path: str) -> Project:
        """The same subproject, looking at files of a module folder folded into it."""
        other = Project(path, self.tree, self.ecosystems, self.workspace_root)
        other.sub = self.sub
        return other

    def file(self, name: str) -> str | None:
        """`name` inside this project's folder, if the tree has it."""
        return self.tree.first(self.path, name)

    def manifest(self, path: str) -> None:
        if path not in self.sub.manifests:
            self.sub.manifests.append(path)

    def lockfile(self, path: str) -> None:
        if path not in self.sub.lockfiles:
            self.sub.lockfiles.append(path)

    def package_manager(self, name: str, source: str, version: str | None = None) -> None:
        _add(self.sub.package_managers, Fact(name=name, source=source, version=version))

    def framework(self, name: str, source: str, version: str | None = None) -> None:
        _add(self.sub.frameworks, Fact(name=name, source=source, version=version))

    def test_framework(
        self, name: str, source: str, version: str | None = None, *, configured: bool = False
    ) -> None:
        fact = Fact(name=name, source=source, version=version, configured=configured)
        starts_containers = name in CONTAINER_STARTERS
        _add(self.sub.test_containers if starts_containers else self.sub.test_frameworks, fact)

    def tool(
        self,
        name: str,
        source: str,
        version: str | None = None,
        *,
        configured: bool = False,
        targets: tuple[str, ...] = (),
    ) -> None:
        fact = Fact(name=name, source=source, version=version, configured=configured)
        _add(self.sub.tools, msgspec.structs.replace(fact, targets=targets))

    def depends_on_path(self, target: str) -> None:
        """A dependency on a local path (`../`, relative to the project's folder): the
        repository folder it names, when it stays inside the repository."""
        joined = posixpath.normpath(posixpath.join(self.path, target.strip()))
        if joined.startswith("..") or joined.startswith("/") or joined == self.path:
            return
        if joined not in self.sub.path_dependencies:
            self.sub.path_dependencies.append(joined)

    def service(self, name: str, source: str, version: str | None = None) -> None:
        _add(self.sub.services, Fact(name=name, source=source, version=version))

    def runtime(
        self,
        runtime: str,
        version: str,
        source: str,
        field: str | None = None,
        *,
        constraint: Constraint | None = None,
        line: int | None = None,
    ) -> None:
        """Record a declared version; its constraint is read from its text unless the
        field says more (a go.mod `go` line is a minimum whatever it looks like)."""
        version = version.strip()
        if not version:
            return
        item = RuntimeVersion(
            runtime=runtime,
            version=version,
            source=source,
            field=field,
            constraint=constraint or constraint_of(version),
            line=line or self._line_of(source, version, field),
        )
        if not any(_same(item, known) for known in self.sub.runtimes):
            self.sub.runtimes.append(item)

    def _line_of(self, source: str, version: str, field: str | None) -> int | None:
        """The first line of `source` holding `version` (after the field's last key when
        that is on the line too): parsed manifests keep no positions."""
        text = self.tree.read_text(source)
        if not text:
            return None
        key = (field or "").rsplit(".", 1)[-1]
        fallback = None
        for number, line in enumerate(text.splitlines(), start=1):
            if version in line:
                if key and key in line:
                    return number
                fallback = fallback or number
        return fallback

    def runtime_at(self, runtime: str, data: Any, source: str, *keys: str) -> None:
        """Record the version found at `keys` in parsed manifest `data`, if there is one."""
        version = as_str(dig(data, *keys))
        if version:
            self.runtime(runtime, version, source, ".".join(keys))

    def command(self, purpose: Any, run: str, source: str) -> None:
        if not any(c.purpose == purpose for c in self.sub.commands):
            self.sub.commands.append(Command(purpose=purpose, run=run, source=source))

    def adopt(self, manifest: str, ecosystem: str, manager: str, *locks: str) -> str | None:
        """If `manifest` is in this folder: record it, its ecosystem, manager and lockfiles."""
        path = self.file(manifest)
        if path is None:
            return None
        self.manifest(path)
        self.ecosystems.add(ecosystem)
        self.package_manager(manager, path)
        for lock in locks:
            lock_path = self.file(lock)
            if lock_path is not None:
                self.lockfile(lock_path)
        return path

    def declared(
        self,
        deps: dict[str, tuple[str, str | None]],
        *,
        frameworks: dict[str, str] | None = None,
        tests: dict[str, str] | None = None,
        tools: dict[str, str] | None = None,
        services: dict[str, str] | None = None,
    ) -> None:
        """Record what the declared dependencies `deps` (name -> (source, spec)) say."""
        for label, source, version in lookup(deps, frameworks or {}):
            self.framework(label, source, version)
        for label, source, version in lookup(deps, tests or {}):
            self.test_framework(label, source, version)
        for label, source, version in lookup(deps, tools or {}):
            self.tool(label, source, version)
        for label, source, _ in lookup(deps, services or {}):
            self.service(label, source)

    def configured(self, files: tuple[tuple[str, str], ...], *, test: bool = False) -> None:
        """Record each (config file, tool) whose file exists in this folder, as configured."""
        for name, tool in files:
            path = self.file(name)
            if path is not None:
                (self.test_framework if test else self.tool)(tool, path, configured=True)

    def has_test(self, name: str) -> bool:
        return any(f.name == name for f in self.sub.test_frameworks)

    def has_runtime(self, runtime: str) -> bool:
        return any(r.runtime == runtime for r in self.sub.runtimes)


def _same(a: RuntimeVersion, b: RuntimeVersion) -> bool:
    return (a.runtime, a.version, a.source, a.field) == (b.runtime, b.version, b.source, b.field)


_EXACT = re.compile(
    r"^(?:v|go|python-|ruby-|jdk-?|temurin-|openjdk-?|net|netcoreapp|netstandard)?"
    r"\d+(?:\.(?:\d+|x|\*))*(?:[-+._]?[0-9A-Za-z.]+)?$"
    r"|^(?:lts/[\w*-]+|latest|stable|beta|nightly(?:-[\d-]+)?|node|system|lts|current)$",
    re.I,
)
_PINNED = re.compile(r"^===?\s*v?\d+(?:\.\d+)*(?:\.\*)?$")  # ==3.12.*: one series
_MINIMUM = re.compile(r"^>=?\s*v?\d+(?:\.\d+)*(?:\.\*)?$|^\[\s*[\d.]+\s*,\s*\)$")


def constraint_of(version: str) -> Constraint:
    """Whether a version's text names one version (or a list of them, as .tool-versions
    and TargetFrameworks do), a lower bound, or another range: "3.12", "lts/iron",
    "1.22.x", "net8.0;net9.0" are exact; ">=3.10", "[17,)" minimums; "^20",
    ">=3.9,<3.13", "~> 3.2", "[17,22)" ranges."""
    version = version.strip()
    if _PINNED.match(version):
        return "exact"
    if _MINIMUM.match(version):
        return "minimum"
    if all(_EXACT.match(part) for part in re.split(r"[;\s]+", version) if part):
        return "exact"
    return "range"


def _add(facts: list[Fact], fact: Fact) -> None:
    """The first fact of a name stays, except that a tool's configuration replaces a mere
    dependency on it as the source (keeping the declared version and the declarations
    that list it: loguru's `dev` extra installs the pre-commit its hooks file configures)."""
    for index, known in enumerate(facts):
        if known.name != fact.name:
            continue
        if fact.configured and not known.configured:
            version = known.version or fact.version
            facts[index] = msgspec.structs.replace(
                known, source=fact.source, version=version, configured=True, targets=fact.targets
            )
        return
    facts.append(fact)


def lookup(
    deps: dict[str, tuple[str, str | None]], table: dict[str, str]
) -> list[tuple[str, str, str | None]]:
    """(display name, source, declared version) for each dependency named in `table`."""
    found: list[tuple[str, str, str | None]] = []
    for dep, label in table.items():
        if dep in deps:
            source, version = deps[dep]
            found.append((label, source, version))
    return found
