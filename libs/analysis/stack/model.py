"""What the ecosystem detectors share: the project being filled in, and small parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from libs.analysis.parsing import as_str, dig, load_json, load_toml, load_yaml, parse_xml
from libs.analysis.report import Command, Fact, RuntimeVersion, Subproject
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


@dataclass
class Project:
    """A subproject while detectors fill it in; `done()` gives the report type."""

    path: str
    tree: Tree
    ecosystems: set[str] = field(default_factory=set)
    workspace_root: str | None = None
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
        _add(self.sub.test_frameworks, fact)

    def tool(
        self, name: str, source: str, version: str | None = None, *, configured: bool = False
    ) -> None:
        _add(self.sub.tools, Fact(name=name, source=source, version=version, configured=configured))

    def service(self, name: str, source: str, version: str | None = None) -> None:
        _add(self.sub.services, Fact(name=name, source=source, version=version))

    def runtime(self, runtime: str, version: str, source: str, field: str | None = None) -> None:
        version = version.strip()
        if not version:
            return
        item = RuntimeVersion(runtime=runtime, version=version, source=source, field=field)
        if item not in self.sub.runtimes:
            self.sub.runtimes.append(item)

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

    def has_runtime(self, runtime: str) -> bool:
        return any(r.runtime == runtime for r in self.sub.runtimes)


def _add(facts: list[Fact], fact: Fact) -> None:
    """The first fact of a name stays, except that a tool's configuration replaces a mere
    dependency on it as the source (keeping the declared version)."""
    for index, known in enumerate(facts):
        if known.name != fact.name:
            continue
        if fact.configured and not known.configured:
            version = known.version or fact.version
            facts[index] = Fact(
                name=fact.name, source=fact.source, version=version, configured=True
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
