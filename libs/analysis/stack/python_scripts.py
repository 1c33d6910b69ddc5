"""Python's other task runners: nox sessions (read from noxfile.py's syntax tree, never
run) and poe, pdm and hatch scripts from pyproject.toml."""

from __future__ import annotations

import ast
from typing import Any

from libs.analysis.ci.commands import FACTOR_PURPOSES
from libs.analysis.parsing import dig, listing, load_toml, mapping
from libs.analysis.report import Task
from libs.analysis.stack.model import Project
from libs.analysis.stack.tasks import MAX_TASKS, purpose_of


def detect(project: Project) -> None:
    project.sub.tasks.extend(_nox(project) + _pyproject_scripts(project))


_SESSION_CALLS = {"run": "run", "run_always": "run", "run_install": "run", "install": "install"}


def _nox(project: Project) -> list[Task]:
    path = project.file("noxfile.py")
    if path is None:
        return []
    try:
        module = ast.parse(project.tree.read_text(path) or "")
    except (SyntaxError, ValueError, RecursionError):
        return []
    constants = _constants(module)
    tasks: list[Task] = []
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            session = _session(node, constants)
            if session is not None:
                tasks.append(_session_task(node, session, path))
    return tasks[:MAX_TASKS]


def _constants(module: ast.Module) -> dict[str, Any]:
    """Module-level `NAME = <literal>` assignments (PYTHON_VERSIONS = ["3.12", ...])."""
    found: dict[str, Any] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
    return found


def _session(
    node: ast.FunctionDef | ast.AsyncFunctionDef, constants: dict[str, Any]
) -> dict[str, Any] | None:
    """The keyword arguments of the function's `@nox.session(...)` decorator, or None."""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name != "session":
            continue
        found: dict[str, Any] = {}
        for keyword in call.keywords if call else ():
            if keyword.arg is None:
                continue
            if isinstance(keyword.value, ast.Name):
                found[keyword.arg] = constants.get(keyword.value.id)
                continue
            try:
                found[keyword.arg] = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                found[keyword.arg] = None
        return found
    return None


def _session_task(
    node: ast.FunctionDef | ast.AsyncFunctionDef, session: dict[str, Any], path: str
) -> Task:
    parameter = node.args.args[0].arg if node.args.args else "session"
    commands: list[str] = []
    deps: list[str] = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        owner = call.func.value
        kind = _SESSION_CALLS.get(call.func.attr)
        if kind is None or not (isinstance(owner, ast.Name) and owner.id == parameter):
            continue
        words = " ".join(_argument(a, parameter) for a in call.args)
        (commands if kind == "run" else deps).append(words)
    given = session.get("name")
    name = given if isinstance(given, str) else node.name
    python = session.get("python")
    versions = (
        [python]
        if isinstance(python, str)
        else [str(v) for v in python or () if isinstance(v, str | float)]
        if isinstance(python, list | tuple)
        else []
    )
    purpose = purpose_of(name) or FACTOR_PURPOSES.get(name)
    return Task(
        runner="nox",
        name=name,
        run=f"nox -s {name}",
        source=path,
        line=node.lineno,
        purpose=purpose,
        commands=tuple(commands),
        deps=tuple(deps),
        versions=tuple(versions),
    )


def _argument(node: ast.expr, parameter: str) -> str:
    """A call argument as it would be typed: strings as they are, `*session.posargs` as
    `{posargs}`, anything computed as `{<its source>}`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Starred):
        inner = ast.unparse(node.value)
        return "{posargs}" if inner == f"{parameter}.posargs" else "{" + inner + "}"
    return "{" + ast.unparse(node) + "}"


# pyproject scripts ----------------------------------------------------------------


def _pyproject_scripts(project: Project) -> list[Task]:
    """poe tasks, pdm scripts and hatch environment scripts."""
    path = project.file("pyproject.toml")
    if path is None:
        return []
    data = load_toml(project.tree, path)
    tasks: list[Task] = []
    for name, spec in mapping(dig(data, "tool", "poe", "tasks")).items():
        commands = _script_commands(spec, ("cmd", "shell", "script", "ref", "sequence"))
        tasks.append(_script_task("poe", str(name), f"poe {name}", path, commands))
    for name, spec in mapping(dig(data, "tool", "pdm", "scripts")).items():
        if name != "_":  # pdm's settings shared by every script
            commands = _script_commands(spec, ("cmd", "shell", "call", "composite"))
            tasks.append(_script_task("pdm", str(name), f"pdm run {name}", path, commands))
    for env, settings in mapping(dig(data, "tool", "hatch", "envs")).items():
        settings = mapping(settings)
        deps = [str(d) for d in listing(settings.get("dependencies"))]
        features = [str(f) for f in listing(settings.get("features"))]
        if features:
            deps.append(".[" + ",".join(features) + "]")
        versions = [
            str(v)
            for row in listing(settings.get("matrix"))
            for v in listing(mapping(row).get("python"))
        ]
        for name, spec in mapping(settings.get("scripts")).items():
            run = f"hatch run {name}" if env == "default" else f"hatch run {env}:{name}"
            task = _script_task("hatch", f"{env}:{name}", run, path, _script_commands(spec, ()))
            tasks.append(
                Task(**{**_fields(task), "deps": tuple(deps), "versions": tuple(versions)})
            )
    return tasks[:MAX_TASKS]


def _script_commands(spec: Any, keys: tuple[str, ...]) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, list):
        return [c for item in spec for c in _script_commands(item, keys)]
    for key in keys:
        value = mapping(spec).get(key)
        if value is not None:
            return _script_commands(value, keys)
    return []


def _script_task(runner: str, name: str, run: str, path: str, commands: list[str]) -> Task:
    short = name.rpartition(":")[2]
    return Task(
        runner=runner,
        name=name,
        run=run,
        source=path,
        purpose=purpose_of(short) or FACTOR_PURPOSES.get(short),
        commands=tuple(commands),
    )


def _fields(task: Task) -> dict[str, Any]:
    return {field: getattr(task, field) for field in task.__struct_fields__}
