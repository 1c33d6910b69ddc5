"""Languages by size, from file extensions, leaving out vendored, generated and minified files."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from libs.analysis.report import LanguageShare
from libs.analysis.tree import FileEntry, Tree

EXTENSIONS: dict[str, str] = {
    ".py": "Python",
    ".pyi": "Python",
    ".pyx": "Cython",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".jsx": "JavaScript",
    ".ts": "TypeScript",
    ".mts": "TypeScript",
    ".cts": "TypeScript",
    ".tsx": "TypeScript",
    ".vue": "Vue",
    ".svelte": "Svelte",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".kt": "Kotlin",
    ".kts": "Kotlin",
    ".scala": "Scala",
    ".groovy": "Groovy",
    ".clj": "Clojure",
    ".rb": "Ruby",
    ".erb": "Ruby",
    ".rake": "Ruby",
    ".php": "PHP",
    ".cs": "C#",
    ".fs": "F#",
    ".vb": "Visual Basic",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".hh": "C++",
    ".hxx": "C++",
    ".m": "Objective-C",
    ".mm": "Objective-C++",
    ".swift": "Swift",
    ".dart": "Dart",
    ".lua": "Lua",
    ".pl": "Perl",
    ".pm": "Perl",
    ".r": "R",
    ".jl": "Julia",
    ".hs": "Haskell",
    ".ml": "OCaml",
    ".zig": "Zig",
    ".nim": "Nim",
    ".sh": "Shell",
    ".bash": "Shell",
    ".zsh": "Shell",
    ".ps1": "PowerShell",
    ".html": "HTML",
    ".htm": "HTML",
    ".css": "CSS",
    ".scss": "SCSS",
    ".sass": "Sass",
    ".less": "Less",
    ".sql": "SQL",
    ".tf": "HCL",
    ".hcl": "HCL",
    ".sol": "Solidity",
    ".cmake": "CMake",
}
FILENAMES: dict[str, str] = {
    "Dockerfile": "Dockerfile",
    "Makefile": "Makefile",
    "GNUmakefile": "Makefile",
    "CMakeLists.txt": "CMake",
    "Rakefile": "Ruby",
    "Gemfile": "Ruby",
}

# Third-party code committed into the tree, and build output: not the project's own language.
_VENDORED = re.compile(
    r"(?:^|/)(?:vendor|vendors|third[_-]?party|3rdparty|external|extern|deps|bower_components"
    r"|node_modules|dist|build|out|target|bin|obj|\.next|\.nuxt|coverage|site-packages"
    r"|Pods|Carthage|_build|public/assets|static/vendor)/"
)
# Generated sources: protobuf/grpc, lexers, snapshots and minified bundles.
_GENERATED = re.compile(
    r"(?:\.min\.(?:js|css)|[-.]bundle\.js|\.pb\.go|_pb2(?:_grpc)?\.pyi?|\.pb\.(?:cc|h)"
    r"|\.g\.dart|\.generated\.\w+|\.designer\.cs|_generated\.go|\.snap|\.map)$"
)


# Minified or bundled code under an ordinary name (django-ninja's redoc.standalone.js):
# told by its first bytes, as linguist does, for the extensions bundlers write.
_BUNDLE_EXTENSIONS = (".js", ".mjs", ".cjs", ".css")
_HEAD_BYTES = 4096
_SMALLEST_BUNDLE = 1024  # a smaller file hardly moves the shares, whatever it holds
_AVERAGE_LINE = 110  # linguist's limit for the average line length of minified files


def bundled(tree: Tree) -> frozenset[str]:
    """Paths of JavaScript/CSS files whose content is minified or bundled: an average
    line longer than 110 characters in the first 4 KiB, or one line filling half of it.
    """
    found: set[str] = set()
    for entry in tree.files:
        if entry.size < _SMALLEST_BUNDLE or not entry.name.endswith(_BUNDLE_EXTENSIONS):
            continue
        if language_of(entry) is None:
            continue  # already left out by its path
        head = tree.head(entry.path, _HEAD_BYTES)
        if head is not None and _minified(head):
            found.add(entry.path)
    return frozenset(found)


def _minified(head: bytes) -> bool:
    lines = head.split(b"\n")
    longest = max(len(line) for line in lines)
    return len(head) / len(lines) > _AVERAGE_LINE or longest * 2 >= _HEAD_BYTES


def language_of(entry: FileEntry) -> str | None:
    """The language of a file counted in the stack, or None when it is not counted."""
    if _VENDORED.search(entry.path) or _GENERATED.search(entry.path):
        return None
    name = entry.name
    if name in FILENAMES:
        return FILENAMES[name]
    if name.startswith("Dockerfile") or name.endswith(".dockerfile"):
        return "Dockerfile"
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return EXTENSIONS.get(name[dot:].lower())


def is_vendored(path: str) -> bool:
    return _VENDORED.search(path) is not None


def shares(
    entries: Iterable[FileEntry], skip: Collection[str] = frozenset()
) -> list[LanguageShare]:
    """Languages by bytes, largest first; percentages to one decimal place. Paths in
    `skip` (the `bundled` files) are not counted.
    """
    files: dict[str, int] = {}
    size: dict[str, int] = {}
    headers = [0, 0]  # .h files and bytes, C or C++ depending on the other sources
    for entry in entries:
        language = language_of(entry)
        if language is None or entry.path in skip:
            continue
        if entry.name.endswith(".h"):
            headers[0] += 1
            headers[1] += entry.size
            continue
        files[language] = files.get(language, 0) + 1
        size[language] = size.get(language, 0) + entry.size
    if headers[0]:
        owner = "C++" if "C++" in size and "C" not in size else "C"
        owner = (
            "Objective-C" if "Objective-C" in size and owner == "C" and "C" not in size else owner
        )
        files[owner] = files.get(owner, 0) + headers[0]
        size[owner] = size.get(owner, 0) + headers[1]
    total = sum(size.values())
    ordered = sorted(size, key=lambda lang: (-size[lang], lang))
    return [
        LanguageShare(
            name=lang,
            files=files[lang],
            bytes=size[lang],
            percent=round(100.0 * size[lang] / total, 1) if total else 0.0,
        )
        for lang in ordered
    ]
