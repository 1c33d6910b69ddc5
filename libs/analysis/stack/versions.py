"""Version files that version managers look up the directory tree for (pyenv, nvm, asdf, mise...).

A subproject gets every runtime from such a file in its own folder, and from the nearest
ancestor's file only the runtimes of its own ecosystems.
"""

from __future__ import annotations

from typing import Any

from libs.analysis.parsing import mapping
from libs.analysis.stack.model import Project, as_str, dig, load_json, load_toml
from libs.analysis.tree import Tree, join, parent_dirs

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
        for name, runtime, version, field in _declared(project.tree, directory):
            if name in seen:
                continue
            if own or runtime in relevant:
                project.runtime(runtime, version, join(directory, name), field)
        seen |= {name for name, *_ in _declared(project.tree, directory)}


Declared = list[tuple[str, str, str, str | None]]


def _declared(tree: Tree, directory: str) -> Declared:
    """(file name, runtime, version, field) for each version file in `directory`."""
    found: Declared = []
    for name, runtime in SINGLE_VERSION_FILES.items():
        path = tree.first(directory, name)
        if path is not None:
            version = _first_line(tree.read_text(path) or "")
            if version:
                found.append((name, runtime, version, None))
    toolchain = tree.first(directory, "rust-toolchain.toml")
    if toolchain is not None:
        channel = as_str(dig(load_toml(tree, toolchain), "toolchain", "channel"))
        if channel:
            found.append(("rust-toolchain.toml", "rust", channel, "toolchain.channel"))
    global_json = tree.first(directory, "global.json")
    if global_json is not None:
        sdk = as_str(dig(load_json(tree, global_json), "sdk", "version"))
        if sdk:
            found.append(("global.json", "dotnet", sdk, "sdk.version"))
    return found + _tool_managers(tree, directory)


def _tool_managers(tree: Tree, directory: str) -> Declared:
    """asdf's .tool-versions, mise.toml and SDKMAN's .sdkmanrc: several runtimes per file."""
    found: Declared = []
    asdf = tree.first(directory, ".tool-versions")
    for line in (tree.read_text(asdf) or "").splitlines() if asdf else ():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] in TOOL_NAMES:
            found.append((".tool-versions", TOOL_NAMES[parts[0]], " ".join(parts[1:]), parts[0]))
    for name in MISE_FILES:
        path = tree.first(directory, name)
        tools = mapping(dig(load_toml(tree, path), "tools")) if path else {}
        for tool, value in tools.items():
            version = _mise_version(value)
            if tool in TOOL_NAMES and version:
                found.append((name, TOOL_NAMES[tool], version, f"tools.{tool}"))
    sdkman = tree.first(directory, ".sdkmanrc")
    for line in (tree.read_text(sdkman) or "").splitlines() if sdkman else ():
        key, sep, value = (part.strip() for part in line.split("#", 1)[0].partition("="))
        if sep and key in TOOL_NAMES and value:
            found.append((".sdkmanrc", TOOL_NAMES[key], value, key))
    return found


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return ""


def _mise_version(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(v for v in (as_str(item) for item in value) if v) or None
    return as_str(value) or as_str(dig(value, "version"))
