"""Whose code a file is: the project's own, or vendored, generated or documentation.

Linguist's rules (its vendor.yml, documentation.yml and generated.rb) are the base: by
path, third-party and build folders, minified and generated names, documentation folders
and files; by content, minified JavaScript/CSS. On top of them, what Linguist misses in
real repositories:
- HTML a tool generated (javadoc, Doxygen, Dokka, pkgdown, a `<meta name="generator">`
  page): retrofit's committed Javadoc site is not the project's HTML;
- CSS compiled from a Sass/Less source in the same tree, or a library build with a
  `/*! Name v1.2.3` banner: spring-petclinic's petclinic.css (Bootstrap included) is
  build output of its own SCSS;
- copies of other repositories committed into a folder, told by the files only a
  repository's root has (`.travis.yml`, `.gitattributes`, `appveyor.yml`, a `.git`
  file), and the C test harnesses projects vendor by name (cJSON's `tests/unity`);
- a static site's build output (`_site/`), schema dumps (`db/structure.sql`) and
  TypeScript declaration files.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from libs.analysis.tree import Tree

# The rules are sets of folder names and name endings, checked per path component: a scan
# classifies tens of thousands of paths, and a regex alternation of fifty folder names
# costs ten times as much.

# Third-party code and build output, wherever they are.
VENDORED_DIRS = frozenset(
    """vendor vendors third_party third-party thirdparty 3rdparty external extern deps
    bower_components node_modules dist build out target bin obj .next .nuxt coverage
    site-packages Pods Carthage _build _site htmlcov __generated__ .idea flow-typed Godeps
    MathJax ace-builds testdata""".split()
)
# ...and as a folder inside another: public/assets, tests/fixtures, docs/_static...
VENDORED_PAIRS = frozenset(
    {("public", "assets"), ("static", "vendor"), (".yarn", "releases"), (".yarn", "plugins")}
    | {("gradle", "wrapper")}
    # test data: fixtures, and the pages, payloads and recordings tests read (mealie's
    # tests/data/html holds more HTML than the project has code)
    | {
        (tests, data)
        for tests in ("test", "tests", "spec", "specs")
        for data in ("fixtures", "data", "resources", "samples", "snapshots", "cassettes")
    }
    | {
        (docs, f"{underscore}{part}")
        for docs in ("doc", "docs")
        for underscore in ("", "_")
        for part in ("build", "theme", "themes", "template", "templates", "static")
    }
)
VENDORED_NAMES = frozenset({"gradlew", "gradlew.bat", "mvnw", "mvnw.cmd"})
# Generated sources by name: protobuf/grpc, lexers, snapshots, declarations, and minified
# or bundled files; schema dumps by path.
GENERATED_ENDINGS = (
    ".min.js",
    "-min.js",
    ".min.css",
    "-min.css",
    ".bundle.js",
    "-bundle.js",
    ".pb.go",
    "_pb2.py",
    "_pb2.pyi",
    "_pb2_grpc.py",
    "_pb2_grpc.pyi",
    ".pb.cc",
    ".pb.h",
    ".g.dart",
    ".freezed.dart",
    ".designer.cs",
    ".designer.vb",
    ".feature.cs",
    "_generated.go",
    ".snap",
    ".map",
    ".d.ts",
    ".d.mts",
    ".d.cts",
)
GENERATED_PATHS = ("db/structure.sql", "priv/repo/structure.sql")
_NESTED_GENERATED_PATHS = tuple(f"/{path}" for path in GENERATED_PATHS)
# Libraries that projects copy into their static folders (Linguist's list, the common part).
LIBRARIES = re.compile(
    r"(?:jquery|bootstrap|font-?awesome|normalize|foundation|bulma|materialize"
    r"|animate|skeleton|modernizr|html5shiv|mootools|dojo|yui|angular|d3|ckeditor|tiny_mce"
    r"|lunr|prettify|popper|select2)(?:[.-].*)?\.(?:js|css|less|scss|styl)$",
    re.I,
)
_LIBRARY_EXTENSIONS = (".js", ".css", ".less", ".scss", ".styl")
# Documentation, relative to the project's folder: Linguist's documentation.yml (its
# top-level folders, and javadoc/ anywhere), and the community files every repository has.
DOCUMENTATION_TOP = frozenset(
    "doc docs documentation example examples demo demos sample samples man".split()
)
DOCUMENTATION_DIRS = frozenset({"javadoc", "groovydoc", ".github", ".changeset"})
DOCUMENTATION_FILES = re.compile(
    r"(?:readme|changelog|changes|history|news|contributing|copying|install|licen[cs]e"
    r"|code_of_conduct|security|support|authors|governance|maintainers|releasing|upgrading"
    r"|citation)(?:[.-].*)?$",
    re.I,
)
# Prose that documents code rather than being the content: docs folders at any depth,
# translations of them, documentation sites (python-sdk's i18n/ holds 3 MB of Markdown).
PROSE_DOCUMENTATION_DIRS = frozenset(
    "doc docs documentation i18n l10n translation translations locale locales website site".split()
)
# Files only a repository's root has: a folder holding one is a copy of another repository.
_REPOSITORY_ROOT_FILES = frozenset(
    {".travis.yml", ".gitattributes", "appveyor.yml", ".appveyor.yml", ".gitlab-ci.yml", ".git"}
)
# C/C++ test harnesses projects commit into their test folders.
HARNESSES = frozenset(
    {"unity", "googletest", "gtest", "catch2", "doctest", "cmocka", "munit", "greatest"}
)
_HARNESS_PARENTS = frozenset(
    {"test", "tests", "unittest", "unittests", "third_party", "third-party", "external", "lib"}
)

_BUNDLE_EXTENSIONS = (".js", ".mjs", ".cjs", ".css")
_HEAD_BYTES = 4096
_SMALLEST = 1024  # a smaller file hardly moves the shares, whatever it holds
_AVERAGE_LINE = 110  # linguist's limit for the average line length of minified files
_GENERATOR = re.compile(
    rb"<!--\s*Generated by (?:javadoc|Doxygen|pkgdown|Dokka|JSDoc|TypeDoc|rustdoc)"
    rb"|<meta\s+name=[\"']generator[\"']\s+content=[\"'][^\"'{}%]+[\"']"
    rb"|<!-- This is an automatically generated file",
    re.I,
)
_LIBRARY_BANNER = re.compile(rb"/\*!\s*(?:\*\s*)?[A-Z][\w.\- ]{1,40}\s+v?\d+\.\d+(?:\.\d+)?\b")
_SOURCES = (".scss", ".sass", ".less", ".styl")


def vendored_path(path: str) -> bool:
    """Third-party code or build output, by path alone."""
    parts = path.split("/")
    folders = parts[:-1]
    if parts[-1] in VENDORED_NAMES or (folders and folders[0] == "debian"):
        return True
    if any(folder in VENDORED_DIRS for folder in folders):
        return True
    for pair in zip(folders, folders[1:], strict=False):
        if pair in VENDORED_PAIRS or (pair[0] in _HARNESS_PARENTS and pair[1] in HARNESSES):
            return True
    name = parts[-1]
    return name.endswith(_LIBRARY_EXTENSIONS) and LIBRARIES.match(name) is not None


def generated_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        name.endswith(GENERATED_ENDINGS)
        or ".generated." in name
        or path in GENERATED_PATHS
        or path.endswith(_NESTED_GENERATED_PATHS)
    )


def not_own_path(path: str) -> bool:
    """Vendored or generated, by path alone."""
    return generated_path(path) or vendored_path(path)


def documentation(path: str) -> bool:
    """Documentation, for a path relative to the project's folder."""
    parts = path.split("/")
    folders = parts[:-1]
    if folders and folders[0].lower() in DOCUMENTATION_TOP:
        return True
    if any(folder.lower() in DOCUMENTATION_DIRS for folder in folders):
        return True
    if any(pair == ("inst", "doc") for pair in zip(folders, folders[1:], strict=False)):
        return True
    return DOCUMENTATION_FILES.match(parts[-1]) is not None


def prose_documentation(path: str) -> bool:
    """Prose that documents the project, for a path relative to the project's folder."""
    folders = path.split("/")[:-1]
    return documentation(path) or any(f.lower() in PROSE_DOCUMENTATION_DIRS for f in folders)


def not_own(tree: Tree, projects: Collection[str] = ()) -> frozenset[str]:
    """Paths that only their content, or their folder, shows not to be the project's own:
    minified or generated files, compiled CSS, and files of repository copies. Folders in
    `projects` (subprojects found from manifests) are never taken for copies."""
    found: set[str] = set()
    copies = _repository_copies(tree, projects)
    stems = {
        entry.path.rsplit(".", 1)[0].rsplit("/", 1)[-1]
        for entry in tree.files
        if entry.name.endswith(_SOURCES)
    }
    sites: set[str] = set()  # folders of generated HTML: their CSS and JS came with it
    for entry in tree.files:
        if copies and _under(entry.path, copies):
            found.add(entry.path)
            continue
        name = entry.name
        if entry.size < _SMALLEST or not name.endswith((*_BUNDLE_EXTENSIONS, ".html", ".htm")):
            continue
        if vendored_path(entry.path) or generated_path(entry.path):
            continue  # already left out by its path
        if name.endswith(".css") and name[:-4] in stems:
            found.add(entry.path)  # petclinic.css next to petclinic.scss: compiled
            continue
        head = tree.head(entry.path, _HEAD_BYTES)
        if head is not None and _generated(name, head):
            found.add(entry.path)
            if name.endswith((".html", ".htm")):
                sites.add(entry.parent)
    for entry in tree.files:  # javadoc's stylesheet.css and script.js beside its pages
        if entry.parent in sites and entry.name.endswith(_BUNDLE_EXTENSIONS):
            found.add(entry.path)
    return frozenset(found)


def _generated(name: str, head: bytes) -> bool:
    if name.endswith((".html", ".htm")):
        return _GENERATOR.search(head) is not None
    return _minified(head) or _LIBRARY_BANNER.search(head) is not None


def _minified(head: bytes) -> bool:
    lines = head.split(b"\n")
    longest = max(len(line) for line in lines)
    return len(head) / len(lines) > _AVERAGE_LINE or longest * 2 >= _HEAD_BYTES


def _repository_copies(tree: Tree, projects: Collection[str]) -> list[str]:
    """Folders below the root holding a file only a repository's root has."""
    folders = {
        entry.parent
        for entry in tree.files
        if entry.name in _REPOSITORY_ROOT_FILES and entry.parent != "."
    }
    return sorted(folder for folder in folders if folder not in projects)


def _under(path: str, folders: list[str]) -> bool:
    return any(path.startswith(folder + "/") for folder in folders)
