"""The compact, redacted context Gemini sees: facts first, then the outline, then files.

Everything comes from the Report and the tree and is framed as untrusted data between
markers carrying a tag derived from the content digest: a file cannot forge the closing
marker without containing a hash of itself. The budget is in estimated tokens; the step
checks it against countTokens and rebuilds smaller if the estimate was short.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from pathlib import Path

from libs.ai import facts
from libs.ai.config import PROMPT_VERSION
from libs.ai.prompts import SYSTEM_INSTRUCTION, TASK
from libs.ai.redact import Redactor, mask_secrets
from libs.ai.tree import list_files, outline, read_text
from libs.analysis.report import Report

# Code and config run at about 3.5 characters per token; estimating low would overshoot.
CHARS_PER_TOKEN = 3.5
FILE_TOKENS = 2000  # at most per file
README_TOKENS = 600
MIN_FILE_TOKENS = 150  # a file that cannot get this much is left out, not cut to nothing
_README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md")


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Context:
    system: str
    prompt: str
    tag: str
    files: tuple[str, ...]  # the files whose content was included
    estimated_tokens: int


def relevant_files(report: Report, paths: list[str]) -> list[tuple[str, int]]:
    """(path, token cap) in order of relevance: CI, root manifests, containers, the rest."""
    listed = set(paths)
    ordered: list[tuple[str, int]] = []

    def add(path: str, cap: int = FILE_TOKENS) -> None:
        if path in listed and path not in {p for p, _ in ordered}:
            ordered.append((path, cap))

    for pipeline in report.ci.pipelines:
        add(pipeline.path)
    for tool in report.ci.dependency_update_tools:
        add(tool.source)
    subprojects = sorted(report.stack.subprojects, key=lambda s: (s.path != ".", s.path))
    for sub in subprojects[:1]:
        for manifest in sub.manifests:
            add(manifest)
    for path in [*report.stack.dockerfiles, *report.stack.compose_files]:
        add(path)
    for sub in subprojects:
        for manifest in sub.manifests:
            add(manifest)
        for command in sub.commands:
            add(command.source)
    for name in _README_NAMES:
        add(name, README_TOKENS)
    return ordered


def build_context(report: Report, tree_root: Path, *, budget_tokens: int) -> Context:
    """The system instruction and the prompt, redacted, within about `budget_tokens`."""
    tag = _tag(report)
    redactor = Redactor(report.secrets.findings)
    paths = list_files(tree_root)
    system = SYSTEM_INSTRUCTION
    head = TASK.format(tag=tag) + f"\n\n<<<REPO-DATA {tag}>>>\n"
    tail = f"<<<END REPO-DATA {tag}>>>\n"
    remaining = budget_tokens - estimate_tokens(system + head + tail)

    sections: list[str] = []
    facts_text = _fit(_neutral(mask_secrets(facts.describe(report)), tag), remaining * 2 // 5)
    sections.append(f"## Detected facts\n{facts_text}\n")
    remaining -= estimate_tokens(sections[-1])
    outline_text = _fit(_neutral(mask_secrets(outline(paths)), tag), remaining // 3)
    sections.append(f"## Tree outline ({len(paths)} files)\n{outline_text}\n")
    remaining -= estimate_tokens(sections[-1])

    included: list[str] = []
    for path, cap in relevant_files(report, paths):
        allowance = min(cap, remaining - 40)  # 40: the file's own header and markers
        if allowance < MIN_FILE_TOKENS:
            continue
        read = read_text(tree_root, path, max_bytes=int(allowance * CHARS_PER_TOKEN) * 2)
        if read is None:
            continue
        text, cut = read
        text = _neutral(redactor.file(path, text), tag)
        fitted = _fit(text, allowance)
        note = " (excerpt)" if cut or fitted != text else ""
        block = f"## File {path}{note}\n<<<FILE {tag}>>>\n{fitted}\n<<<END FILE {tag}>>>\n"
        sections.append(block)
        included.append(path)
        remaining -= estimate_tokens(block)

    prompt = head + "\n".join(sections) + tail
    return Context(
        system=system,
        prompt=prompt,
        tag=tag,
        files=tuple(included),
        estimated_tokens=estimate_tokens(system + prompt),
    )


def _tag(report: Report) -> str:
    if not report.content_digest:
        return secrets.token_hex(8)
    seed = f"{PROMPT_VERSION}:{report.content_digest}".encode()
    return hashlib.sha256(seed).hexdigest()[:16]


def _neutral(text: str, tag: str) -> str:
    """Repository text can never close our markers: drop the tag and any marker lookalike."""
    return text.replace(tag, "[tag]").replace("<<<", "<\u200b<<").replace(">>>", ">>\u200b>")


def _fit(text: str, tokens: int) -> str:
    """The head of `text` within about `tokens`, cut at a line end."""
    limit = max(int(tokens * CHARS_PER_TOKEN), 0)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return cut + "\n[... cut to fit the budget]"
