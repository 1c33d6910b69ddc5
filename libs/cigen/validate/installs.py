"""Tools a workflow installs without naming a version: each takes whatever was released
that morning. A policy rule on both platforms, so a generated file can never carry one.

What counts: a tool installed by name (`pip install ruff`, `pipx install pdm`,
`npm i -g pnpm`, `go install x@latest`, `cargo install x`, `gem install x`, `uvx tool`,
`uv run --with tool`), and the setup actions that install a tool (uv, pnpm, Bun,
Composer through setup-php, golangci-lint) without a version. Installing the project's
own dependencies (`pip install -r requirements.txt`, `pip install -e .`, `npm ci`) is
not a tool install: its lockfile or manifest pins it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

from libs.cigen import tools

# commands whose following words are tools to install, and how each marks a version
_PIP = re.compile(r"\b(?:pip3?|python3? -m pip|pipx|uv pip|uv tool) install\b")
_NPM_GLOBAL = re.compile(r"\bnpm (?:i|install|add)\b.*(?:\s-g\b|\s--global\b)")
_OTHER = re.compile(r"\b(?:go install|cargo install|gem install|cargo binstall)\b")
# options whose value is not a package
_VALUED = frozenset(
    {"-r", "-c", "-e", "--requirement", "--constraint", "--editable", "--group", "--install-dir"}
)
# action -> the input that must name a version (None: any of several will do)
_ACTIONS = {
    "astral-sh/setup-uv": "version",
    "oven-sh/setup-bun": "bun-version",
    "golangci/golangci-lint-action": "version",
}


def unpinned(document: Any) -> Iterator[tuple[str, str]]:
    """(location, what) for every unpinned tool install in a parsed GitHub workflow or
    GitLab pipeline."""
    for where, command in _commands(document):
        for tool in _unpinned_in(command):
            yield where, tool
    for where, step in _action_steps(document):
        yield from ((where, what) for what in _unpinned_action(step))


def _unpinned_in(command: str) -> list[str]:
    found: list[str] = []
    for line in re.split(r"&&|\|\||;|\n", command):
        line = line.strip()
        words = _words(line)
        if _PIP.search(line):
            found += [w for w in _after(words, "install") if not _pip_pinned(w)]
        elif _NPM_GLOBAL.search(line):
            found += [w for w in _after(words, words[1]) if not _npm_pinned(w)]
        elif _OTHER.search(line):
            found += _other_unpinned(words)
        if "/releases/latest/" in line:
            found.append(
                line.split("/releases/latest/")[0].rsplit("/", 1)[-1] + " (latest release)"
            )
        if words[:2] == ["cs", "install"]:
            found += [w for w in _after(words, "install") if ":" not in w]
        if words[:1] == ["uvx"] and len(words) > 1 and "@" not in words[1]:
            found.append(words[1])
        for i, word in enumerate(words[:-1]):
            if word == "--with" and not _pip_pinned(words[i + 1]):
                found.append(words[i + 1])
    return found


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _after(words: list[str], verb: str) -> list[str]:
    """The package arguments after `verb`: not options, nor the values of -r/-c/-e."""
    if verb not in words:
        return []
    rest = words[words.index(verb) + 1 :]
    packages: list[str] = []
    skip = False
    for word in rest:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            packages.append(word)
    return packages


def _pip_pinned(word: str) -> bool:
    """An exact pin, or not a tool by name (a path, the project itself, a URL)."""
    if "==" in word or word.startswith((".", "/", "-")) or "://" in word:
        return True
    return word.endswith((".whl", ".tar.gz", ".zip"))


def _npm_pinned(word: str) -> bool:
    """`pnpm@10.34.9`, `@scope/tool@1.2.3`: a full version after the name."""
    _, _, version = (word[1:] if word.startswith("@") else word).partition("@")
    return bool(re.match(r"^\d+\.\d+\.\d+", version))


def _other_unpinned(words: list[str]) -> list[str]:
    if "--version" in words or "-v" in words:
        return []
    tools = [w for w in words[2:] if not w.startswith("-")]
    return [w for w in tools if "@" not in w or w.endswith("@latest")]


def _commands(document: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(document, dict):
        return
    jobs = document.get("jobs")
    if isinstance(jobs, dict):  # GitHub
        for job_id, job in jobs.items():
            for i, step in enumerate((job or {}).get("steps") or []):
                if isinstance(step, dict) and isinstance(step.get("run"), str):
                    yield f"jobs.{job_id}.steps.{i}", step["run"]
        return
    for name, job in document.items():  # GitLab
        if isinstance(job, dict):
            for key in ("before_script", "script"):
                for line in job.get(key) or []:
                    if isinstance(line, str):
                        yield f"{name}.{key}", line


def _action_steps(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    jobs = document.get("jobs") if isinstance(document, dict) else None
    if not isinstance(jobs, dict):
        return
    for job_id, job in jobs.items():
        for i, step in enumerate((job or {}).get("steps") or []):
            if isinstance(step, dict) and isinstance(step.get("uses"), str):
                yield f"jobs.{job_id}.steps.{i}", step


def _unpinned_action(step: dict[str, Any]) -> list[str]:
    action = step["uses"].split("@")[0]
    options = step.get("with") or {}
    key = _ACTIONS.get(action)
    if key is not None:
        version = str(options.get(key, ""))
        if not tools.names_one_release(version):
            return [f"{action} without an exact {key}"]
    if action == "coursier/setup-action":
        apps = str(options.get("apps", "")).split()
        return [f"{app} (Coursier)" for app in apps if ":" not in app]
    if action == "shivammathur/setup-php":
        listed = [t.strip() for t in str(options.get("tools", "")).split(",") if t.strip()]
        return [t for t in listed if not re.match(r"^[\w-]+:\d+\.\d+\.\d+$", t)]
    return []
