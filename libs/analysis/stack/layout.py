"""Which folders are subprojects: a folder with its own manifest.

Modules of one build are folded into the build that owns them (Maven modules into the
parent pom, Gradle subprojects into the settings script, CMake subdirectories into the
top CMakeLists.txt, .NET projects into their solution), because one command builds and
tests them together. Packages of a workspace (npm/yarn/pnpm, Cargo, Go, uv) stay
subprojects of their own. Test fixtures, examples and vendored code are not subprojects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from libs.analysis.tree import FileEntry, Tree

STRONG = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "Pipfile",
        "package.json",
        "deno.json",
        "deno.jsonc",
        "go.mod",
        "Cargo.toml",
        "Gemfile",
        "composer.json",
        "mix.exs",
        "Package.swift",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
        "CMakeLists.txt",
        "meson.build",
        "conanfile.txt",
        "conanfile.py",
        "vcpkg.json",
        "pubspec.yaml",
        "build.sbt",
    }
)
# Manifests that make a subproject only where no enclosing folder already is one.
STANDALONE_WEAK = frozenset({"setup.cfg", "environment.yml"})
ROOT_ONLY_WEAK = frozenset({"Makefile", "GNUmakefile"})
DOTNET_SUFFIXES = (".sln", ".slnx", ".csproj", ".fsproj", ".vbproj")
_EXCLUDED = re.compile(
    r"(?:^|/)(?:fixtures?|__fixtures__|testdata|test[-_]data|examples?|samples?|vendor"
    r"|third[-_]party|node_modules|bower_components|templates?|\{\{[^/]*\}\}[^/]*)(?:/|$)"
)
_REQUIREMENTS = re.compile(r"^requirements.*\.(?:txt|in)$")


@dataclass
class Folder:
    path: str
    names: set[str] = field(default_factory=set)
    dotnet: list[str] = field(default_factory=list)  # project/solution files, own and folded
    folded: list[str] = field(default_factory=list)  # manifests of modules folded in

    @property
    def strong(self) -> bool:
        return bool(self.names & STRONG) or bool(self.dotnet)


def discover(tree: Tree) -> list[Folder]:
    """Subproject folders in path order ("." first when the root is one)."""
    candidates: dict[str, Folder] = {}
    for entry in tree.files:
        if _is_manifest(entry) and not _EXCLUDED.search(entry.parent):
            folder = candidates.setdefault(entry.parent, Folder(entry.parent))
            if entry.name.endswith(DOTNET_SUFFIXES):
                folder.dotnet.append(entry.path)
            else:
                folder.names.add(entry.name)
    chosen: dict[str, Folder] = {}
    for path in sorted(candidates, key=lambda p: (p != ".", p.count("/"), p)):
        folder = candidates[path]
        owner = _ancestor(chosen, path)
        if owner is not None and not folder.strong:
            continue  # a Makefile or requirements file inside a project: its own business
        if owner is not None and _is_module(folder, owner):
            owner.folded.extend(f"{path}/{name}" for name in sorted(folder.names))
            owner.dotnet.extend(folder.dotnet)
            continue
        if folder.strong:
            chosen[path] = folder
        elif owner is None and (path == "." or not folder.names <= ROOT_ONLY_WEAK):
            if path.rsplit("/", 1)[-1] not in ("docs", "doc"):
                chosen[path] = folder
    return [chosen[p] for p in sorted(chosen, key=lambda p: (p != ".", p))]


def _is_manifest(entry: FileEntry) -> bool:
    name = entry.name
    return (
        name in STRONG
        or name in STANDALONE_WEAK
        or name in ROOT_ONLY_WEAK
        or name.endswith(DOTNET_SUFFIXES)
        or _REQUIREMENTS.match(name) is not None
    )


def _ancestor(chosen: dict[str, Folder], path: str) -> Folder | None:
    while path not in (".", ""):
        path = path.rpartition("/")[0] or "."
        if path in chosen:
            return chosen[path]
    return None


def _is_module(folder: Folder, owner: Folder) -> bool:
    """Whether `folder` is a module of the build `owner` runs, rather than a project."""
    names = folder.names - STANDALONE_WEAK - ROOT_ONLY_WEAK
    jvm = {"pom.xml", "build.gradle", "build.gradle.kts"}
    if names and names <= jvm | {"settings.gradle", "settings.gradle.kts"}:
        return "pom.xml" in owner.names or bool(
            owner.names & {"settings.gradle", "settings.gradle.kts"}
        )
    native = {"CMakeLists.txt", "meson.build"}
    if names and names <= native:
        return bool(owner.names & native)
    if folder.dotnet and not names:
        return any(p.endswith((".sln", ".slnx")) for p in owner.dotnet)
    return False
