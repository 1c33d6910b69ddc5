"""Version files that version managers look up the directory tree for (pyenv, nvm, asdf, mise...).

A subproject gets every runtime from such a file in its own folder, and from the nearest
ancestor's file only the runtimes of its own ecosystems.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from libs.analysis.images import image_runtime
from libs.analysis.parsing import mapping
from libs.analysis.report import Constraint
from libs.analysis.stack.model import Project, as_str, dig, load_json, load_toml
from libs.analysis.tree import Tree, join, parent_dirs

# A Dockerfile by name; not a template one renders into a Dockerfile (phoenix's
# priv/templates/phx.gen.release/Dockerfile.eex: `ARG ELIXIR_VERSION=<%= elixir_vsn %>`).
DOCKERFILE = re.compile(
    r"^(?!.*\.(?:eex|heex|erb|j2|jinja2?|njk|tmpl|tpl|template|mustache|hbs|liquid|ejs|in"
    r"|example|sample)$)(?:Dockerfile(?:\..+)?|.+\.[Dd]ockerfile|Containerfile)$"
)

SINGLE_VERSION_FILES = {
    ".python-version": "python",
    ".nvmrc": "node",
    ".node-version": "node",
    ".ruby-version": "ruby",
    ".java-version": "java",
    ".go-version": "go",
    ".swift-version": "swift",
    ".bun-version": "bun",
    ".terraform-version": "terraform",
    "rust-toolchain": "rust",
}
TOOL_NAMES = {
    "nodejs": "node",
    "node": "node",
    "python": "python",
    "ruby": "ruby",
    "golang": "go",
    "go": "go",
    "java": "java",
    "rust": "rust",
    "elixir": "elixir",
    "erlang": "erlang",
    "php": "php",
    "dotnet": "dotnet",
    "dotnet-core": "dotnet",
    "deno": "deno",
    "bun": "bun",
    "terraform": "terraform",
    "swift": "swift",
    "kotlin": "kotlin",
    "pnpm": "pnpm",
    "yarn": "yarn",
    "poetry": "poetry",
    "uv": "uv",
    "gradle": "gradle",
    "maven": "maven",
    "dart": "dart",
    "flutter": "flutter",
    "scala": "scala",
    "sbt": "sbt",
}
RELEVANT = {
    "python": {"python", "uv", "poetry"},
    "node": {"node", "bun", "deno", "pnpm", "yarn", "npm"},
    "go": {"go"},
    "rust": {"rust"},
    "java": {"java", "gradle", "maven", "kotlin"},
    "ruby": {"ruby"},
    "php": {"php"},
    "elixir": {"elixir", "erlang"},
    "dotnet": {"dotnet"},
    "swift": {"swift"},
    "cpp": {"cmake"},
    "dart": {"dart", "flutter"},
    "scala": {"java", "scala", "sbt"},
}
MISE_FILES = ("mise.toml", ".mise.toml", ".config/mise.toml", ".rtx.toml")


def detect(project: Project) -> None:
    relevant: set[str] = set()
    for ecosystem in project.ecosystems:
        relevant |= RELEVANT.get(ecosystem, set())
    seen: set[str] = set()
    for directory in parent_dirs(project.path):
        own = directory == project.path
        found = _declared(project.tree, directory)
        for item in found:
            if item.name not in seen and (own or item.runtime in relevant):
                _record(project, join(directory, item.name), item)
        seen |= {item.name for item in found}
    _github_files(project, relevant)
    _workflow_version_files(project)


@dataclass(frozen=True)
class Declared:
    name: str  # the file's name
    runtime: str
    version: str
    field: str | None = None
    line: int | None = None
    constraint: Constraint | None = None


def _record(project: Project, path: str, item: Declared) -> None:
    project.runtime(
        item.runtime, item.version, path, item.field, constraint=item.constraint, line=item.line
    )


def _github_files(project: Project, relevant: set[str]) -> None:
    """Version files kept under .github/ (`.github/workflows/.java-version`, read by a
    workflow's `java-version-file`) count for every project of their runtime that has no
    version file of its own for it."""
    have = {
        r.runtime
        for r in project.sub.runtimes
        if r.source.rsplit("/", 1)[-1] in SINGLE_VERSION_FILES
    }
    for entry in project.tree.under(".github"):
        runtime = SINGLE_VERSION_FILES.get(entry.name)
        if runtime and runtime in relevant and runtime not in have:
            version, line = _first_line(project.tree.read_text(entry.path) or "")
            if version:
                project.runtime(runtime, version, entry.path, line=line)


# a setup action's input naming a version file, and the runtime it sets up
_VERSION_FILE_INPUT = re.compile(
    r"^\s*(python|node|go|java|php|bun)-version-file:\s*['\"]?(?:\./)?([^'\"\s#]+)", re.M
)


def _workflow_version_files(project: Project) -> None:
    """A version file a workflow's setup action reads (`python-version-file:
    .python-version-default`) declares that runtime for the project in its folder, whatever
    its name; manifests (pyproject.toml, package.json, go.mod) are read on their own."""
    known = {r.source for r in project.sub.runtimes}
    for entry in project.tree.under(".github/workflows"):
        if not entry.name.endswith((".yml", ".yaml")):
            continue
        for match in _VERSION_FILE_INPUT.finditer(project.tree.read_text(entry.path) or ""):
            path = match.group(2)
            folder = path.rpartition("/")[0] or "."
            name = path.rsplit("/", 1)[-1]
            if folder != project.path or path in known or not project.tree.has(path):
                continue
            if name.endswith((".toml", ".json", ".mod", ".work")) or name == ".tool-versions":
                continue
            version, line = _first_line(project.tree.read_text(path) or "")
            if version:
                project.runtime(match.group(1), version, path, line=line)
                known.add(path)


def _declared(tree: Tree, directory: str) -> list[Declared]:
    """Every version declared by a version file in `directory`."""
    found: list[Declared] = []
    for name, runtime in SINGLE_VERSION_FILES.items():
        path = tree.first(directory, name)
        if path is not None:
            version, line = _first_line(tree.read_text(path) or "")
            if version:
                found.append(Declared(name, runtime, version, line=line))
    toolchain = tree.first(directory, "rust-toolchain.toml")
    if toolchain is not None:
        channel = as_str(dig(load_toml(tree, toolchain), "toolchain", "channel"))
        if channel:
            found.append(Declared("rust-toolchain.toml", "rust", channel, "toolchain.channel"))
    global_json = tree.first(directory, "global.json")
    if global_json is not None:
        sdk = mapping(load_json(tree, global_json).get("sdk"))
        sdk_version = as_str(sdk.get("version"))
        if sdk_version:
            # without rollForward (or with patch/latestPatch) the SDK band is pinned; the
            # latest* policies make the version a floor
            roll = as_str(sdk.get("rollForward")) or "latestPatch"
            constraint: Constraint = (
                "minimum" if roll.startswith("latest") and roll != "latestPatch" else "exact"
            )
            found.append(
                Declared("global.json", "dotnet", sdk_version, "sdk.version", constraint=constraint)
            )
    return found + _tool_managers(tree, directory)


def _tool_managers(tree: Tree, directory: str) -> list[Declared]:
    """asdf's .tool-versions, mise.toml and SDKMAN's .sdkmanrc: several runtimes per file."""
    found: list[Declared] = []
    asdf = tree.first(directory, ".tool-versions")
    lines = (tree.read_text(asdf) or "").splitlines() if asdf else []
    for number, line in enumerate(lines, start=1):
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] in TOOL_NAMES:
            version = " ".join(parts[1:])
            found.append(
                Declared(".tool-versions", TOOL_NAMES[parts[0]], version, parts[0], number)
            )
    for name in MISE_FILES:
        path = tree.first(directory, name)
        tools = mapping(dig(load_toml(tree, path), "tools")) if path else {}
        for tool, value in tools.items():
            mise = _mise_version(value)
            if tool in TOOL_NAMES and mise:
                found.append(Declared(name, TOOL_NAMES[tool], mise, f"tools.{tool}"))
    sdkman = tree.first(directory, ".sdkmanrc")
    lines = (tree.read_text(sdkman) or "").splitlines() if sdkman else []
    for number, line in enumerate(lines, start=1):
        key, sep, value = (part.strip() for part in line.split("#", 1)[0].partition("="))
        if sep and key in TOOL_NAMES and value:
            found.append(Declared(".sdkmanrc", TOOL_NAMES[key], value, key, number))
    return found


def _first_line(text: str) -> tuple[str, int | None]:
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            return line, number
    return "", None


def _mise_version(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(v for v in (as_str(item) for item in value) if v) or None
    return as_str(value) or as_str(dig(value, "version"))


# -- base images ----------------------------------------------------------------------

_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.I | re.M)
_ARG = re.compile(r"^\s*ARG\s+(\w+)=(\S+)", re.I | re.M)
_ARG_REF = re.compile(r"\$\{?(\w+)\}?")


def _arg(match: re.Match[str], *, args: dict[str, str]) -> str:
    return args.get(match.group(1), match.group(0))


def detect_base_images(project: Project) -> None:
    """The last resort for a runtime nothing else declares: the base image of the
    project's own Dockerfiles (`FROM python:3.12-slim`), ARG defaults substituted."""
    known = {r.runtime for r in project.sub.runtimes}
    for entry in project.tree.in_dir(project.path):
        if not DOCKERFILE.match(entry.name):
            continue
        text = project.tree.read_text(entry.path) or ""
        args = {m.group(1): m.group(2).strip("'\"") for m in _ARG.finditer(text)}
        for match in _FROM.finditer(text):
            image = _ARG_REF.sub(functools.partial(_arg, args=args), match.group(1))
            found = image_runtime(image)
            if found is not None and found[0] not in known:
                line = text.count("\n", 0, match.start()) + 1
                project.runtime(found[0], found[1], entry.path, "FROM", line=line)
                known.add(found[0])
