"""Python's other task runners: nox sessions (read from noxfile.py's syntax tree, never
run) and poe, pdm and hatch scripts from pyproject.toml."""

from __future__ import annotations

import ast
from typing import Any

from libs.analysis.ci.commands import FACTOR_PURPOSES
from libs.analysis.parsing import dig, listing, load_toml, mapping, shell_word
from libs.analysis.report import Task
from libs.analysis.stack.model import Project
from libs.analysis.stack.tasks import MAX_TASKS, purpose_of


def detect(project: Project) -> None:
    project.sub.tasks.extend(_nox(project) + _pyproject_scripts(project))


_SESSION_CALLS = {
    "run": "run",
    "run_always": "run",
    "run_install": "run",
    "install": "install",
    "cd": "cd",
    "chdir": "cd",
}


def _nox(project: Project) -> list[Task]:
    path = project.file("noxfile.py")
    if path is None:
        return []
    try:
        module = ast.parse(project.tree.read_text(path) or "")
    except (SyntaxError, ValueError, RecursionError):
        return []
    constants = _constants(module)
    defined = [n for n in module.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    functions = {node.name: node for node in defined}  # the helpers, by the name calls use
    tasks: list[Task] = []
    for node in defined:
        session = _session(node, constants)
        if session is not None:
            tasks.append(_session_task(node, session, path, functions))
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


Function = ast.FunctionDef | ast.AsyncFunctionDef
# how deep a session's helpers are followed (`test` -> `tests_impl` -> ...), and how many
# calls one session records (a noxfile is input: bounded like every other)
_HELPER_DEPTH = 3
_MAX_CALLS = 200


def _session_task(
    node: Function, session: dict[str, Any], path: str, functions: dict[str, Function]
) -> Task:
    commands: list[str] = []
    deps: list[str] = []
    _session_calls(node, functions, commands, deps, seen={node.name}, depth=0)
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


def _session_calls(
    node: Function,
    functions: dict[str, Function],
    commands: list[str],
    deps: list[str],
    seen: set[str],
    depth: int,
) -> None:
    """The `session.run(...)`/`session.install(...)` calls of a session function in the
    order they run, and those of the module's functions it hands its session to (urllib3's
    `test` session runs pytest inside `tests_impl(session)`), each function walked once;
    `session.cd("x")` and `session.chdir` as `cd x`, since what follows runs there."""
    parameter = node.args.args[0].arg if node.args.args else "session"
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):  # as they run
        if len(commands) + len(deps) >= _MAX_CALLS:
            return
        helper = _helper(call, parameter, functions)
        if helper is not None:
            if helper.name not in seen and depth < _HELPER_DEPTH:
                seen.add(helper.name)
                _session_calls(helper, functions, commands, deps, seen, depth + 1)
            continue
        if not isinstance(call.func, ast.Attribute):
            continue
        owner = call.func.value
        kind = _SESSION_CALLS.get(call.func.attr)
        if kind is None or not (isinstance(owner, ast.Name) and owner.id == parameter):
            continue
        words = " ".join(_argument(a, parameter) for a in call.args)
        if kind == "cd":
            words = f"cd {words}"
        (deps if kind == "install" else commands).append(words)


def _helper(call: ast.Call, parameter: str, functions: dict[str, Function]) -> Function | None:
    """The module function `call` hands the session to as its first argument, or None."""
    if not (isinstance(call.func, ast.Name) and call.func.id in functions and call.args):
        return None
    first = call.args[0]
    if not (isinstance(first, ast.Name) and first.id == parameter):
        return None
    return functions[call.func.id]


def _argument(node: ast.expr, parameter: str) -> str:
    """A call argument as it would be typed: strings as they are (quoted where the shell
    would need it), `*session.posargs` as `{posargs}` and `*(session.posargs or ("test/",))`
    as `{posargs:test/}` (tox's spelling of a default), anything computed as
    `{<its source>}`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return shell_word(node.value)
    if isinstance(node, ast.Starred):
        inner = node.value
        if ast.unparse(inner) == f"{parameter}.posargs":
            return "{posargs}"
        default = _posargs_default(inner, parameter)
        if default is not None:
            return "{posargs:" + " ".join(default) + "}"
        return "{" + ast.unparse(inner) + "}"
    return "{" + ast.unparse(node) + "}"


def _posargs_default(node: ast.expr, parameter: str) -> list[str] | None:
    """The literal words of `session.posargs or (...)`, or None."""
    if not (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)):
        return None
    if len(node.values) != 2 or ast.unparse(node.values[0]) != f"{parameter}.posargs":
        return None
    try:
        default = ast.literal_eval(node.values[1])
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    if not isinstance(default, list | tuple) or not all(isinstance(w, str) for w in default):
        return None
    return [shell_word(w) for w in default]


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
