"""Languages by size, from file extensions, counting only the project's own files.

What is not the project's own (vendored, generated, documentation) is told apart in
libs.analysis.origin. Prose (Markdown, reStructuredText, AsciiDoc), data (SQL) and build
scripts (CMake, Make, Dockerfile) are weak: they count only where they outweigh the code,
so a book list or a documentation site is Markdown while a library's CHANGELOG, schema
dump or CMakeLists.txt never moves its languages.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from typing import Literal

from libs.analysis import origin
from libs.analysis.report import LanguageShare
from libs.analysis.tree import FileEntry

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
    ".md": "Markdown",
    ".markdown": "Markdown",
    ".mdx": "MDX",
    ".rst": "reStructuredText",
    ".adoc": "AsciiDoc",
    ".asciidoc": "AsciiDoc",
    ".tf": "HCL",
    ".hcl": "HCL",
    ".sol": "Solidity",
    ".cmake": "CMake",
    ".astro": "Astro",
    ".liquid": "Liquid",
    ".eex": "HTML+EEx",
    ".heex": "HTML+EEx",
    ".leex": "HTML+EEx",
    ".hbs": "Handlebars",
    ".handlebars": "Handlebars",
    ".twig": "Twig",
    ".ejs": "EJS",
    ".pug": "Pug",
    ".styl": "Stylus",
    ".coffee": "CoffeeScript",
    ".elm": "Elm",
    ".nix": "Nix",
    ".cu": "Cuda",
    ".f90": "Fortran",
    ".asm": "Assembly",
    ".vim": "Vim Script",
    ".el": "Emacs Lisp",
    ".rkt": "Racket",
    ".scm": "Scheme",
    ".purs": "PureScript",
    ".gleam": "Gleam",
    ".fsx": "F#",
}
FILENAMES: dict[str, str] = {
    "Dockerfile": "Dockerfile",
    "Makefile": "Makefile",
    "GNUmakefile": "Makefile",
    "CMakeLists.txt": "CMake",
    "Rakefile": "Ruby",
    "Gemfile": "Ruby",
}
# Languages that count only where they outweigh the code (see the module docstring):
# prose, data, and the build scripts around a project's code (cJSON is C, though its
# CMake files are a twentieth of it).
WEAK = frozenset(
    {"Markdown", "MDX", "reStructuredText", "AsciiDoc", "SQL", "CMake", "Makefile", "Dockerfile"}
)
PROSE = frozenset({"Markdown", "MDX", "reStructuredText", "AsciiDoc"})
Kind = Literal["code", "weak", "docs"]


def language_of(entry: FileEntry, root: str = ".") -> str | None:
    """The language of a file counted as the code of the project in `root`, or None."""
    found = classify(entry, root)
    return found[0] if found is not None and found[1] == "code" else None


def classify(
    entry: FileEntry, root: str = ".", docs: Collection[str] = ()
) -> tuple[str, Kind] | None:
    """(language, kind) of a file for the project in folder `root`: "code", "weak"
    (prose and data), or "docs" (documentation, counted only when nothing else is);
    None for files that are not the project's own or have no language. Folders in
    `docs` are documentation sites: everything in them is documentation."""
    path = entry.path
    language = _own_language(path)
    if language is None:
        return None
    below = path if root in (".", "") else path[len(root) + 1 :]
    site = any(path.startswith(folder + "/") for folder in docs)
    if language in PROSE:
        return language, "docs" if site or origin.prose_documentation(below) else "weak"
    if site or origin.documentation(below):
        return None
    return language, "weak" if language in WEAK else "code"


@functools.lru_cache(maxsize=65536)
def _own_language(path: str) -> str | None:
    """The language of a file that its path does not show to be vendored or generated
    (cached: the whole tree and each subproject classify the same paths)."""
    if origin.not_own_path(path):
        return None
    return _language(path.rsplit("/", 1)[-1])


def _language(name: str) -> str | None:
    if name in FILENAMES:
        return FILENAMES[name]
    if name.startswith("Dockerfile") or name.endswith(".dockerfile"):
        return "Dockerfile"
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return EXTENSIONS.get(name[dot:].lower())


def is_vendored(path: str) -> bool:
    return origin.vendored_path(path)


def shares(
    entries: Iterable[FileEntry],
    skip: Collection[str] = frozenset(),
    root: str = ".",
    docs: Collection[str] = (),
) -> list[LanguageShare]:
    """Languages by bytes, largest first; percentages to one decimal place. Paths in
    `skip` (origin.not_own's) are not counted; documentation is judged relative to the
    project folder `root`, and everything in the documentation sites `docs` is some.
    """
    counted: dict[Kind, dict[str, list[int]]] = {"code": {}, "weak": {}, "docs": {}}
    for entry in entries:
        found = classify(entry, root, docs) if entry.path not in skip else None
        if found is not None:
            tally = counted[found[1]].setdefault(found[0], [0, 0, 0, 0])
            header = entry.name.endswith(".h")  # C or C++, from the other sources
            tally[2 if header else 0] += 1
            tally[3 if header else 1] += entry.size
    code = sum(t[1] + t[3] for t in counted["code"].values())
    chosen = dict(counted["code"])
    for language, tally in counted["weak"].items():
        if tally[1] + tally[3] > code:  # a book list's Markdown, a dbt project's SQL
            chosen[language] = tally
    if not chosen:
        chosen = dict(counted["docs"])  # nothing but a README and docs/: still Markdown
    return _shares(chosen)


def _shares(counted: dict[str, list[int]]) -> list[LanguageShare]:
    files = {lang: t[0] for lang, t in counted.items() if t[0]}
    size = {lang: t[1] for lang, t in counted.items() if t[0]}
    headers = [sum(t[2] for t in counted.values()), sum(t[3] for t in counted.values())]
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
