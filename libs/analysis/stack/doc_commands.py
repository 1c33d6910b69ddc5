"""Commands a project documents for its contributors: shell blocks in README and
CONTRIBUTING (Markdown or reStructuredText) under headings about testing, building or
development. In a CONTRIBUTING, HACKING or DEVELOPMENT file every section counts; in a
README only those sections. Prompts (`$ `, `>>> ` is not a shell) are stripped, and in
a block that uses prompts the lines without one are output, not commands."""

from __future__ import annotations

import re
from collections.abc import Iterator

from libs.analysis.ci.commands import classify, script_lines
from libs.analysis.report import DocCommand
from libs.analysis.stack.model import Project

README = re.compile(r"^readme(?:\.(?:md|markdown|rst|txt))?$", re.I)
CONTRIBUTING = re.compile(
    r"^(?:contributing|hacking|development|developing)(?:\.(?:md|markdown|rst|txt))?$", re.I
)
RELEVANT = re.compile(
    r"\b(?:test|tests|testing|develop\w*|contribut\w*|hacking|running|build\w*|lint\w*"
    r"|style|checks?|local\w*|set(?:ting)?\s*up|setup|environment|tooling|workflow|ci)\b",
    re.I,
)
SHELL_LANGUAGES = frozenset(
    {
        "",
        "sh",
        "bash",
        "shell",
        "console",
        "shell-session",
        "shellsession",
        "zsh",
        "sh-session",
        "powershell",
        "ps1",
        "pwsh",
        "cmd",
        "bat",
        "batch",
        "text",
        "none",
        "terminal",
    }
)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>:.])\1{2,}\s*$")
_RST_DIRECTIVE = re.compile(r"^\s*\.\.\s+(?:code-block|code|sourcecode|prompt)::\s*([\w+-]*)")
_PROMPT = re.compile(r"^(?:\([^)\s]*\)\s*)?(?:\$|%|PS[^>]*>|[A-Z]:\\[^>]*>)\s+")
_COMMENT = re.compile(r"\s+#\s.*$")
UNTYPED = frozenset({"", "text", "none"})
GUIDE_FOLDERS = ("docs/contributing", "docs/development", "docs/dev", "doc/contributing")
MAX_COMMANDS = 100  # per file


def detect(project: Project) -> None:
    for path, every_section in _files(project):
        content = project.tree.read_text(path) or ""
        found = _rst(content) if path.lower().endswith(".rst") else _markdown(content)
        count = 0
        for heading, block, first, typed in found:
            if not (every_section or (heading and RELEVANT.search(heading))):
                continue
            # an untyped block may hold anything (a commit message, output): unless it
            # uses prompts, only lines that read as a known kind of command count
            prompted = any(_PROMPT.match(line.strip()) for line in block)
            if not typed and not prompted and _prose(block):
                continue
            for run, line in _commands(block, first, prompted):
                kind = classify(run)
                if typed or prompted or kind != "other":
                    project.sub.doc_commands.append(
                        DocCommand(run=run, kind=kind, source=path, line=line, heading=heading)
                    )
                    count += 1
            if count >= MAX_COMMANDS:
                break


def _files(project: Project) -> list[tuple[str, bool]]:
    """The project's README and contributor guides; the root's under .github/ and docs/."""
    folders = [project.path]
    if project.path == ".":
        folders += [".github", "docs"]
    found: list[tuple[str, bool]] = []
    for folder in folders:
        for entry in project.tree.in_dir(folder):
            if CONTRIBUTING.match(entry.name):
                found.append((entry.path, True))
            elif README.match(entry.name) and folder == project.path:
                found.append((entry.path, False))
    for folder in GUIDE_FOLDERS if project.path == "." else ():
        for entry in project.tree.in_dir(folder):
            if entry.name.lower().endswith((".md", ".rst")):
                found.append((entry.path, True))
    return sorted(found, key=lambda f: (not f[1], f[0]))


Block = tuple[str | None, list[str], int, bool]  # heading, lines, first line, typed as shell


def _markdown(content: str) -> Iterator[Block]:
    lines = content.splitlines()
    heading: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        atx = _ATX.match(line)
        if atx:
            heading = atx.group(2)
            continue
        underlined = index < len(lines) and _SETEXT.match(lines[index]) is not None
        if underlined and line.strip() and not line.startswith((" ", "\t")):
            heading = line.strip()
            index += 1
            continue
        fence = _FENCE.match(line)
        if fence is None:
            continue
        marker, language = fence.group(1), fence.group(2).lower()
        start = index + 1
        block: list[str] = []
        while index < len(lines) and not lines[index].strip().startswith(marker):
            block.append(lines[index])
            index += 1
        index += 1
        if language in SHELL_LANGUAGES:
            yield heading, block, start, language not in UNTYPED


def _rst(content: str) -> Iterator[Block]:
    lines = content.splitlines()
    heading: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if index < len(lines) and line.strip() and _RST_UNDERLINE.match(lines[index]):
            if len(lines[index].rstrip()) >= len(line.rstrip()):
                heading = line.strip()
                index += 1
                continue
        directive = _RST_DIRECTIVE.match(line)
        literal = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if directive is None and not literal:
            continue
        if directive is not None and directive.group(1).lower() not in SHELL_LANGUAGES:
            continue
        indent = _indent(line)
        # the directive's options (`:linenos:`) and the blank line before its body
        while index < len(lines) and (
            not lines[index].strip()
            or (lines[index].lstrip().startswith(":") and _indent(lines[index]) > indent)
        ):
            index += 1
        start = index + 1
        block: list[str] = []
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > indent):
            block.append(lines[index])
            index += 1
        typed = directive is not None and directive.group(1).lower() not in UNTYPED
        yield heading, block, start, typed


def _prose(block: list[str]) -> bool:
    """Whether an untyped block reads as text: many of its lines end like sentences or
    run long."""
    lines = [line.strip() for line in block if line.strip()]
    wordy = [line for line in lines if line.endswith((".", ",", ";", ":")) or line.count(" ") > 12]
    return len(wordy) * 3 > len(lines)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _commands(block: list[str], first: int, prompted: bool) -> list[tuple[str, int | None]]:
    kept: list[str] = []
    for line in block:
        stripped = line.strip()
        prompt = _PROMPT.match(stripped)
        if prompted and prompt is None and not (kept and kept[-1].endswith("\\")):
            kept.append("")  # output, kept as a blank line so line numbers stay right
            continue
        command = stripped[prompt.end() :] if prompt else stripped
        if command.count("'") % 2 == 0 and command.count('"') % 2 == 0:
            command = _COMMENT.sub("", command)  # `tox -e py  # unit tests`
        kept.append(command)
    return [(run, line) for run, line in script_lines("\n".join(kept), first) if _plausible(run)]


def _plausible(run: str) -> bool:
    """A command, not prose or a placeholder: starts like a program name or a path."""
    return bool(re.match(r"^[\w./~\"'$-][\w./:@=+-]*(?:\s|$)", run)) and not run.endswith(":")
