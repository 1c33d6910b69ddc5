"""tox environments, from tox.ini, tox.toml or pyproject's `[tool.tox]` (its TOML form or
its `legacy_tox_ini`): each environment's commands, deps (extras as `.[extra]`), setenv,
depends and Python, with factor-conditional lines applied and `py{311,312}` expanded."""

from __future__ import annotations

import itertools
import re
from typing import Any

from libs.analysis.ci.commands import FACTOR_PURPOSES, NOT_TESTS
from libs.analysis.parsing import as_str, dig, listing, load_toml, mapping, shell_word
from libs.analysis.report import Task
from libs.analysis.stack.model import Project
from libs.analysis.stack.tasks import MAX_TASKS, purpose_of

_REFERENCE = re.compile(r"\{\[([^\]]+)\]([\w-]+)\}")
_PY_FACTOR = re.compile(r"^(?:py(?:py)?(\d)(\d+)?t?|(?:py|pypy)?(\d)\.(\d+)t?)$")
_BRACES = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(\d+)-(\d+)$")


def detect(project: Project) -> None:
    project.sub.tasks.extend(_tox(project))


def _tox(project: Project) -> list[Task]:
    ini = project.file("tox.ini")
    if ini is not None:
        return _tox_ini(ini, project.tree.read_text(ini) or "")
    toml = project.file("tox.toml")
    if toml is not None:
        return _tox_toml(toml, load_toml(project.tree, toml))
    pyproject = project.file("pyproject.toml")
    tox = mapping(dig(load_toml(project.tree, pyproject), "tool", "tox")) if pyproject else {}
    legacy = as_str(tox.get("legacy_tox_ini"))
    if pyproject and legacy:
        return _tox_ini(pyproject, legacy)
    return _tox_toml(pyproject, tox) if pyproject and tox else []


def _tox_ini(path: str, content: str) -> list[Task]:
    import configparser  # here: most trees have no tox.ini

    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(content)
    except configparser.Error:
        return []
    listed = ""
    if parser.has_section("tox"):
        listed = parser.get("tox", "env_list", fallback="") or parser.get(
            "tox", "envlist", fallback=""
        )
    names = expand_envs(listed)
    # `[testenv:3.1{0,3}-tests]` configures every environment its name expands to
    sections: dict[str, str] = {}
    for section in parser.sections():
        if section.startswith("testenv:"):
            for name in _expand(section.partition(":")[2]):
                sections.setdefault(name, section)
    base = dict(parser.items("testenv")) if parser.has_section("testenv") else {}
    mapped = _gh_actions(parser)
    tasks: list[Task] = []
    for name in dict.fromkeys(n for n in [*names, *sections] if n and "{" not in n):
        section = sections.get(name, "")
        raw = {**base, **(dict(parser.items(section)) if section else {})}
        settings = {key: _resolve(parser, sections, value) for key, value in raw.items()}
        factors = set(name.split("-"))
        deps = _factored(settings.get("deps", ""), factors)
        extras = _factored(settings.get("extras", ""), factors)
        if extras:
            deps.append(".[" + ",".join(extras) + "]")
        groups = _factored(settings.get("dependency_groups", ""), factors)
        deps += [f"group:{group}" for group in groups]
        env = dict(
            _assignment(line)
            for line in _factored(settings.get("setenv", settings.get("set_env", "")), factors)
        )
        line = _line(content, rf"^\[{re.escape(section)}\]") if section else None
        tasks.append(
            _tox_task(
                name,
                path,
                line or _line(content, r"^env_?list\s*="),
                commands=_in(settings.get("changedir", settings.get("change_dir")))
                + _factored(settings.get("commands", ""), factors),
                deps=deps,
                env={k: v for k, v in env.items() if k},
                needs=re.split(r"[\s,]+", settings.get("depends", "").strip()),
                python=settings.get("basepython") or settings.get("base_python"),
                gh_actions=mapped.get(name, []),
            )
        )
    return tasks[:MAX_TASKS]


def _in(changedir: str | None) -> list[str]:
    """`cd DIR` before an environment's commands where it runs them in another folder
    than tox.ini's (`changedir = tests`): its paths are relative to that folder."""
    where = (changedir or "").strip()
    if where in ("", "{toxinidir}", "{tox_root}", "{toxinidir}/", "{tox_root}/"):
        return []
    return [f"cd {where}"]


def _gh_actions(parser: Any) -> dict[str, list[str]]:
    """tox-gh-actions' `[gh-actions]` table, environment -> the Pythons it runs on
    (python-dotenv's `3.13: py313, lint, manifest`), by the environments' exact names."""
    if not parser.has_section("gh-actions"):
        return {}
    mapped: dict[str, list[str]] = {}
    for line in parser.get("gh-actions", "python", fallback="").splitlines():
        python, colon, envs = line.partition(":")
        if not colon or not python.strip():
            continue
        for env in expand_envs(envs):
            mapped.setdefault(env.strip(), []).append(python.strip())
    return mapped


def _resolve(parser: Any, sections: dict[str, str], value: str, depth: int = 0) -> str:
    """`{[section]key}` references replaced by the setting they name (a section named
    through its expanded form too: `[testenv:docs-build]` of `[testenv:docs-{build,x}]`)."""

    def lookup(match: re.Match[str]) -> str:
        section = match.group(1)
        if not parser.has_section(section):
            section = sections.get(section.partition(":")[2], section)
        found = parser.get(section, match.group(2), fallback=None)
        return match.group(0) if found is None else _resolve(parser, sections, found, depth + 1)

    return value if depth > 3 else _REFERENCE.sub(lookup, value)


def _tox_toml(path: str, data: dict[str, Any]) -> list[Task]:
    """tox 4's TOML: `env_list`, `[env_run_base]` and `[env.NAME]`; commands are lists of
    argument lists."""
    base = mapping(data.get("env_run_base"))
    envs = mapping(data.get("env"))
    names = [as_str(n) or "" for n in listing(data.get("env_list"))] + list(envs)
    tasks: list[Task] = []
    for name in dict.fromkeys(n for n in names if n):
        settings = {**base, **mapping(envs.get(name))}
        lines = listing(settings.get("commands"))
        commands = [" ".join(shell_word(str(a)) for a in listing(c)) for c in lines]
        moved = settings.get("change_dir")
        if moved is not None:  # a string, or a `{replace = ...}` we do not compute
            commands = _in(as_str(moved) or "{change_dir}") + commands
        deps = [str(d) for d in listing(settings.get("deps"))]
        extras = [str(e) for e in listing(settings.get("extras"))]
        if extras:
            deps.append(".[" + ",".join(extras) + "]")
        env = {str(k): str(v) for k, v in mapping(settings.get("set_env")).items()}
        needs = [str(d) for d in listing(settings.get("depends"))]
        tasks.append(
            _tox_task(
                name,
                path,
                None,
                commands=commands,
                deps=deps,
                env=env,
                needs=needs,
                python=as_str(settings.get("base_python")),
            )
        )
    return tasks[:MAX_TASKS]


def _tox_task(
    name: str,
    path: str,
    line: int | None,
    *,
    commands: list[str],
    deps: list[str],
    env: dict[str, str],
    needs: list[str],
    python: str | None,
    gh_actions: list[str] | None = None,
) -> Task:
    factors = name.split("-")
    versions = [v for v in (_py_version(f) for f in factors) if v]
    if python:
        versions = [python.removeprefix("python")]
    purpose = (
        purpose_of(name)
        or FACTOR_PURPOSES.get(name)
        or next((FACTOR_PURPOSES[f] for f in factors if f in FACTOR_PURPOSES), None)
    )
    if purpose is None and versions and not NOT_TESTS & set(factors):
        purpose = "test"  # py312, py312-django50: the test suite on that interpreter
    return Task(
        runner="tox",
        name=name,
        run=f"tox -e {name}",
        source=path,
        line=line,
        purpose=purpose,
        commands=tuple(commands),
        needs=tuple(n for n in needs if n),
        deps=tuple(deps),
        env=env,
        versions=tuple(versions),
        gh_actions=tuple(gh_actions or ()),
    )


def expand_envs(listed: str) -> list[str]:
    """tox's environment list with `{a,b}` and `{8-12}` factors expanded."""
    names: list[str] = []
    for item in _top_level_split(listed):
        names.extend(_expand(item.strip()))
    return [n for n in names if n]


def _top_level_split(value: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in value:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if depth == 0 and char in ",\n":
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _expand(item: str) -> list[str]:
    match = _BRACES.search(item)
    if match is None:
        return [item]
    options: list[str] = []
    for option in match.group(1).split(","):
        span = _RANGE.match(option.strip())
        if span and int(span.group(2)) - int(span.group(1)) < 50:
            options += [str(n) for n in range(int(span.group(1)), int(span.group(2)) + 1)]
        else:
            options.append(option.strip())
    head, tail = item[: match.start()], item[match.end() :]
    return list(itertools.chain.from_iterable(_expand(f"{head}{o}{tail}") for o in options))


def _factored(value: str, factors: set[str]) -> list[str]:
    """The lines of a multi-line tox setting that apply to an environment with `factors`:
    `py312: pytest` applies to py312 only, `!py312: ...` to every other."""
    found: list[str] = []
    for raw in value.replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        condition, sep, rest = line.partition(":")
        if sep and re.fullmatch(r"!?[\w.{},-]+", condition) and not rest.startswith(("/", "\\")):
            wanted = [c for part in condition.split(",") for c in _expand(part)]
            if not any(_factor_ok(w, factors) for w in wanted):
                continue
            line = rest.strip()
        found.append(line)
    return found


def _factor_ok(condition: str, factors: set[str]) -> bool:
    if condition.startswith("!"):
        return condition[1:] not in factors
    return all(part in factors for part in condition.split("-"))


def _assignment(line: str) -> tuple[str, str]:
    name, _, value = line.partition("=")
    return name.strip(), value.strip()


def _py_version(factor: str) -> str | None:
    match = _PY_FACTOR.match(factor)
    if match is None:
        return None
    major, minor = match.group(1) or match.group(3), match.group(2) or match.group(4)
    return f"{major}.{minor}" if minor else major


def _line(content: str, pattern: str) -> int | None:
    found = re.search(pattern, content, re.M)
    return content.count("\n", 0, found.start()) + 1 if found else None
