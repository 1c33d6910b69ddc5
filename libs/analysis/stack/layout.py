"""Which folders are subprojects: a folder with its own manifest.

Modules of one build are folded into the build that owns them (Maven modules into the
parent pom, Gradle subprojects into the settings script, CMake subdirectories into the
top CMakeLists.txt, .NET projects into their solution), because one command builds and
tests them together. Packages of a workspace (npm/yarn/pnpm, Cargo, Go, uv) stay
subprojects of their own. Test fixtures, examples (`_examples/` too), benchmarks and
vendored code are not subprojects: a manifest anywhere under a test (`runtime-tests/`
too), fixture, example, benchmark or vendor folder, or in a folder below
a docs folder, is test data or documentation (black's `tests/data/*/pyproject.toml`,
fastify's `test/bundler/*/package.json`), unless a workspace names that folder as one of
its packages (vitest's pnpm workspace lists `test/*`) or it is a browser end-to-end suite
with its own package (a Playwright or Cypress configuration beside its package.json).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from libs.analysis.parsing import dig, listing, load_json, load_toml, load_yaml
from libs.analysis.tree import FileEntry, Tree, join

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
# (a Jekyll site's _config.yml: GitHub Pages builds a repository of Markdown and layouts)
ROOT_ONLY_WEAK = frozenset({"Makefile", "GNUmakefile", "_config.yml"})
DOTNET_SUFFIXES = (".sln", ".slnx", ".csproj", ".fsproj", ".vbproj")
_EXCLUDED = re.compile(
    r"(?:^|/)(?:fixtures?|__fixtures__|testdata|test[-_]data|_?examples?|samples?|vendor"
    r"|third[-_]party|node_modules|bower_components|templates?|benchmarks?"
    r"|\{\{[^/]*\}\}[^/]*)(?:/|$)"
)
# Test and documentation folders: their manifests may still be modules of the enclosing
# build (a solution's test project, a Maven `tests` module), but are no project of their own.
_TESTS_OR_DOCS = re.compile(
    r"(?:^|/)(?:[\w.]+[-_])?(?:tests?|__tests__|__mocks__|__snapshots__|specs?)(?:/|$)"
    r"|(?:^|/)docs?/[^/]"  # below a docs folder; a docs site's own folder may be a project
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
        if entry.name == "setup.py" and tree.has(join(entry.parent, "__init__.py")):
            continue  # a package's own setup.py (numpy.distutils style): part of its project
        if _is_manifest(entry) and not _EXCLUDED.search(entry.parent):
            folder = candidates.setdefault(entry.parent, Folder(entry.parent))
            if entry.name.endswith(DOTNET_SUFFIXES):
                folder.dotnet.append(entry.path)
            else:
                folder.names.add(entry.name)
    aside = {path for path in candidates if _TESTS_OR_DOCS.search(path)}
    aside -= _workspace_members(tree, candidates, aside)
    aside -= {path for path in aside if _browser_suite(tree, candidates[path])}
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
        if path in aside:
            continue
        if folder.strong:
            chosen[path] = folder
        elif owner is None and (path == "." or not folder.names <= ROOT_ONLY_WEAK):
            if path.rsplit("/", 1)[-1] not in ("docs", "doc"):
                chosen[path] = folder
    return [chosen[p] for p in sorted(chosen, key=lambda p: (p != ".", p))]


def workspace_patterns(tree: Tree, folder: str) -> list[str]:
    """Folder globs, relative to `folder`, of the packages of the workspace rooted there
    (npm/yarn `workspaces`, pnpm-workspace.yaml, Cargo and uv workspace members, go.work).
    """
    patterns: list[str] = []
    package = tree.first(folder, "package.json")
    if package is not None:
        spaces = load_json(tree, package).get("workspaces")
        spaces = dig(spaces, "packages") if isinstance(spaces, dict) else spaces
        patterns += [s for s in listing(spaces) if isinstance(s, str)]
    pnpm = tree.first(folder, "pnpm-workspace.yaml")
    if pnpm is not None:
        packages = listing(dig(load_yaml(tree, pnpm), "packages"))
        patterns += [s for s in packages if isinstance(s, str)]
    cargo = tree.first(folder, "Cargo.toml")
    if cargo is not None:
        members = listing(dig(load_toml(tree, cargo), "workspace", "members"))
        patterns += [s for s in members if isinstance(s, str)]
    pyproject = tree.first(folder, "pyproject.toml")
    if pyproject is not None:
        members = listing(dig(load_toml(tree, pyproject), "tool", "uv", "workspace", "members"))
        patterns += [s for s in members if isinstance(s, str)]
    gowork = tree.first(folder, "go.work")
    if gowork is not None:
        text = tree.read_text(gowork) or ""
        patterns += re.findall(r"^\s*(?:use\s+)?\.?/?([\w./-]+)\s*$", text, re.M)
    return [p.removeprefix("./").rstrip("/") for p in patterns if not p.startswith("!")]


def in_workspace(path: str, patterns: list[str]) -> bool:
    """Whether the folder `path` (relative to a workspace root) matches one of its globs;
    `*` stays within one folder name, `**` spans any number of them.
    """
    for pattern in patterns:
        parts = re.split(r"(\*\*/?|\*|\?)", pattern)
        regex = "".join(_GLOB.get(part, re.escape(part)) for part in parts)
        if re.fullmatch(regex, path):
            return True
    return False


_GLOB = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}


def relative(path: str, root: str) -> str | None:
    """`path` relative to the folder `root`, or None if it is not strictly below it."""
    if root == ".":
        return path if path != "." else None
    if path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return None


def _workspace_members(tree: Tree, candidates: dict[str, Folder], aside: set[str]) -> set[str]:
    """The folders set aside that a workspace rooted in another candidate names."""
    if not aside:
        return set()
    members: set[str] = set()
    for root in candidates.keys() - aside:
        patterns = workspace_patterns(tree, root)
        for path in aside:
            below = relative(path, root)
            if below is not None and in_workspace(below, patterns):
                members.add(path)
    return members


def _browser_suite(tree: Tree, folder: Folder) -> bool:
    """A package of its own holding a Playwright or Cypress configuration: an end-to-end
    suite kept under the tests (mealie's tests/e2e), which runs from its own folder."""
    return "package.json" in folder.names and any(
        entry.name.startswith(_BROWSER_CONFIGS) for entry in tree.in_dir(folder.path)
    )


_BROWSER_CONFIGS = ("playwright.config.", "cypress.config.", "cypress.json")


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
