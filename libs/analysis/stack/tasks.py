"""Task runners: Make targets, just recipes, Taskfile tasks and Rake tasks, each with the
commands it runs; the purposeful ones (test, lint, build...) also become `commands`.

Python's runners (tox, nox, poe, pdm, hatch) are in `python_tasks`; npm and composer
scripts are recorded where their manifests are read.
"""

from __future__ import annotations

import re
from typing import Any

from libs.analysis.located import YMap, items, key_line, line_of, load, mapping, text
from libs.analysis.report import Purpose, Task
from libs.analysis.stack.model import Project

TARGET_PURPOSES: dict[str, Purpose] = {
    "test": "test",
    "tests": "test",
    "check": "test",
    "lint": "lint",
    "typecheck": "typecheck",
    "type-check": "typecheck",
    "types": "typecheck",
    "mypy": "typecheck",
    "fmt": "format",
    "format": "format",
    "build": "build",
}
# a script body that only starts a script of the repository: `script/test`, `sh ./x.sh`
_SCRIPT_FILE = re.compile(r"^(?:(?:ba)?sh\s+)?(?:\./)?([\w-]+(?:/[\w.-]+)+|[\w-]+\.sh)$")
MAX_SCRIPT_LINES = 40
MAX_TASKS = 200  # per file: enough for any hand-written runner, bounded for generated ones
_MAKE_RULE = re.compile(r"^([^\s:=#][^:=#]*?)\s*(::?)(?!=)\s*([^=;]*?)\s*(?:;(.*))?$")
# a target a person runs, or a stamp file a prerequisite makes (yarl's `.develop`, which
# installs): no special (.PHONY) or suffix (.c.o) rule, pattern or variable
_MAKE_TARGET = re.compile(r"^(?:\w|\.[a-z])[\w./+-]*$")
_SUFFIX_RULE = re.compile(r"^(?:\.[a-z]\w*){2}$")
_NOT_TARGETS = re.compile(r"[\"',()]|^\$")
_MAKE_DIRECTIVES = (
    "define ",
    "export ",
    "include ",
    "-include ",
    "ifeq",
    "ifneq",
    "ifdef",
    "vpath",
)
# conditionals around recipe lines: the lines of every branch are the recipe's
_MAKE_CONDITIONAL = re.compile(r"^(?:ifn?def|ifn?eq|else|endif)\b")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z0-9_][\w-]*)((?:\s+[^:=\n]+)?)\s*:(?!=)\s*(.*)$")
_RAKE_TASK = re.compile(
    r"""^\s*task\s*\(?\s*(?::(\w[\w:]*)|["']([\w:-]+)["']|(\w+):)"""
    r"""\s*(?:=>\s*)?(.*)$"""
)
# Rake task classes and the task (and command) they define when given no name
_RAKE_CLASSES = (
    (
        re.compile(r"Cucumber::Rake::Task\.new\s*\(?\s*(?::(\w[\w:]*)|['\"]([\w:-]+)['\"])?"),
        "cucumber",
        "cucumber",
    ),
    (
        re.compile(r"RSpec::Core::RakeTask\.new\s*\(?\s*(?::(\w[\w:]*)|['\"]([\w:-]+)['\"])?"),
        "spec",
        "rspec",
    ),
    (
        re.compile(r"Rake::TestTask\.new\s*\(?\s*(?::(\w[\w:]*)|['\"]([\w:-]+)['\"])?"),
        "test",
        "ruby -Itest (Rake::TestTask)",
    ),
    (
        re.compile(r"RuboCop::RakeTask\.new\s*\(?\s*(?::(\w[\w:]*)|['\"]([\w:-]+)['\"])?"),
        "rubocop",
        "rubocop",
    ),
)
RAKE_PURPOSES: dict[str, Purpose] = {
    "spec": "test",
    "features": "test",
    "cucumber": "test",
    "rubocop": "lint",
}
_RAKE_SH = re.compile(r"""\b(?:sh|system|ruby)\s*\(?\s*(['"])(.+?)\1""")


def purpose_of(name: str) -> Purpose | None:
    return TARGET_PURPOSES.get(name)


def detect(project: Project) -> None:
    """Every task runner file in the project's folder."""
    for name in ("GNUmakefile", "makefile", "Makefile"):
        path = project.file(name)
        if path is not None:
            _record(project, _make(project, path))
            break  # GNU make reads the first of these that exists
    for name in ("justfile", "Justfile", ".justfile"):
        path = project.file(name)
        if path is not None:
            _record(project, _just(project, path))
    for name in ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml"):
        path = project.file(name)
        if path is not None:
            _record(project, _taskfile(project, path))
            break
    for name in ("Rakefile", "rakefile", "Rakefile.rb"):
        path = project.file(name)
        if path is not None:
            _record(project, _rake(project, path))
            break


def _record(project: Project, tasks: list[Task]) -> None:
    """Add the tasks, and a command for each purposeful one (`check` last: it often runs
    more than the tests)."""
    project.sub.tasks.extend(tasks)
    for task in sorted(tasks, key=lambda t: (t.name == "check", t.name)):
        if task.purpose is not None and task.runner in ("make", "just"):
            project.command(task.purpose, task.run, task.source)


def _make(project: Project, path: str) -> list[Task]:
    """Rules with their prerequisites and recipe lines (continuations joined, `@`/`-`
    prefixes dropped); pattern rules, special targets and variables are not tasks."""
    lines = (project.tree.read_text(path) or "").splitlines()
    tasks: dict[str, Task] = {}
    index = 0
    while index < len(lines) and len(tasks) < MAX_TASKS:
        line = lines[index]
        index += 1
        rule_line = index
        match = _MAKE_RULE.match(line) if line and not line[0].isspace() else None
        # `$(warning "…: …")` and other function calls are not rules
        if (
            match is None
            or line.startswith(_MAKE_DIRECTIVES)
            or _NOT_TARGETS.search(match.group(1))
        ):
            continue
        recipe = [match.group(4).strip()] if match.group(4) else []
        while index < len(lines) and (
            lines[index].startswith("\t")
            or not lines[index].strip()
            or _MAKE_CONDITIONAL.match(lines[index])
        ):
            body = lines[index].strip()
            index += 1
            if _MAKE_CONDITIONAL.match(body):
                continue  # yarl's `fmt` runs one of two pre-commit lines `ifdef CI`
            while body.endswith("\\") and index < len(lines):
                body = body[:-1].rstrip() + " " + lines[index].strip()
                index += 1
            if body and not body.startswith("#"):
                recipe.append(body.lstrip("@-+ ").strip())
        needs = tuple(p for p in match.group(3).split("|")[0].split() if "%" not in p)
        for target in match.group(1).split():
            if not _MAKE_TARGET.match(target) or _SUFFIX_RULE.match(target) or target in tasks:
                continue
            tasks[target] = Task(
                runner="make",
                name=target,
                run=f"make {target}",
                source=path,
                line=rule_line,
                purpose=purpose_of(target),
                commands=tuple(recipe),
                needs=needs,
            )
    return list(tasks.values())


def _just(project: Project, path: str) -> list[Task]:
    """Recipes with their dependencies and (indented) body lines."""
    lines = (project.tree.read_text(path) or "").splitlines()
    tasks: list[Task] = []
    index = 0
    while index < len(lines) and len(tasks) < MAX_TASKS:
        line = lines[index]
        index += 1
        match = _JUST_RECIPE.match(line)
        if match is None or line.startswith(("alias ", "set ", "export ", "import ", "mod ")):
            continue
        start = index
        body: list[str] = []
        while index < len(lines) and (lines[index][:1] in (" ", "\t") or not lines[index].strip()):
            if lines[index].strip() and not lines[index].strip().startswith("#"):
                body.append(lines[index].strip().lstrip("@-").strip())
            index += 1
        name = match.group(1)
        needs = tuple(d for d in re.findall(r"[\w-]+", match.group(3)))
        tasks.append(
            Task(
                runner="just",
                name=name,
                run=f"just {name}",
                source=path,
                line=start,
                purpose=purpose_of(name),
                commands=tuple(body),
                needs=needs,
            )
        )
    return tasks


def _taskfile(project: Project, path: str) -> list[Task]:
    """go-task's Taskfile: `tasks.<name>` with `cmds` (strings, `{cmd: ...}`, or `{task:
    ...}` calls), `deps` and `env`."""
    data = load(project.tree.read_text(path) or "")
    tasks_map = mapping(mapping(data).get("tasks"))
    tasks: list[Task] = []
    for name, spec in list(tasks_map.items())[:MAX_TASKS]:
        if isinstance(spec, str | list):  # a task given as its command(s)
            spec = {"cmds": spec}
        spec = mapping(spec)
        commands: list[str] = []
        needs = [t for t in (_task_ref(d) for d in items(spec.get("deps"))) if t]
        for command in items(spec.get("cmds")):
            called = _task_ref(command) if isinstance(command, dict) else None
            if called:
                needs.append(called)
            elif isinstance(command, dict):
                commands.extend(t for t in (text(command.get("cmd")),) if t)
            elif text(command):
                commands.append(text(command) or "")
        env = {str(k): text(v) or "" for k, v in mapping(spec.get("env")).items() if text(v)}
        tasks.append(
            Task(
                runner="task",
                name=str(name),
                run=f"task {name}",
                source=path,
                line=key_line(tasks_map, name) or line_of(spec),
                purpose=purpose_of(str(name)),
                commands=tuple(commands),
                needs=tuple(needs),
                env=env,
            )
        )
    return tasks


def _task_ref(value: Any) -> str | None:
    if isinstance(value, YMap | dict):
        return text(value.get("task"))
    return text(value)


def _rake(project: Project, path: str) -> list[Task]:
    """`task` declarations (with their prerequisites and `sh` commands) and the tasks that
    Cucumber, RSpec, Rake::TestTask and RuboCop task classes define."""
    content = project.tree.read_text(path) or ""
    runner = "bundle exec rake" if project.file("Gemfile") else "rake"
    tasks: dict[str, Task] = {}
    lines = content.splitlines()
    for number, line in enumerate(lines, start=1):
        if len(tasks) >= MAX_TASKS:
            break
        for pattern, default, command in _RAKE_CLASSES:
            found = pattern.search(line)
            if found:
                name = found.group(1) or found.group(2) or default
                tasks.setdefault(name, _rake_task(runner, name, path, number, (command,), ()))
        match = _RAKE_TASK.match(line)
        if match is None:
            continue
        name = next(g for g in match.groups()[:3] if g)
        needs = tuple(n.lstrip(":") for n in re.findall(r"[\w:-]+", _prerequisites(match.group(4))))
        body = [m.group(2) for m in _RAKE_SH.finditer("\n".join(_block(lines, number)))]
        tasks.setdefault(name, _rake_task(runner, name, path, number, tuple(body), needs))
    return list(tasks.values())


def _prerequisites(rest: str) -> str:
    """The prerequisites of `task name: [...]`/`=> [...]`, without a trailing `do`."""
    rest = re.sub(r"\bdo\b.*$|\{.*$", "", rest).strip()
    rest = re.sub(r"^%[iwIW]\[", "[", rest)
    return rest.strip("[]()").replace("%i", "")


def _block(lines: list[str], start: int) -> list[str]:
    """The lines of the `do ... end` block opened on line `start` (by indentation)."""
    if not re.search(r"\bdo\b|\{", lines[start - 1]):
        return []
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    body: list[str] = []
    for line in lines[start:]:
        stripped = line.strip()
        if stripped == "end" and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


def _rake_task(
    runner: str, name: str, path: str, line: int, commands: tuple[str, ...], needs: tuple[str, ...]
) -> Task:
    purpose = purpose_of(name) or RAKE_PURPOSES.get(name)
    return Task(
        runner="rake",
        name=name,
        run=f"{runner} {name}",
        source=path,
        line=line,
        purpose=purpose,
        commands=commands,
        needs=needs,
    )


def script_lines(content: str, section: str) -> dict[str, int]:
    """The line of each key of the JSON object `section` (package.json's "scripts"), found
    in the text: JSON parsers keep no positions."""
    start = re.search(rf'"{re.escape(section)}"\s*:\s*\{{', content)
    if start is None:
        return {}
    found: dict[str, int] = {}
    depth = 0
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:|[{}]', content[start.end() - 1 :]):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1:
            offset = start.end() - 1 + match.start()
            found.setdefault(match.group(1), content.count("\n", 0, offset) + 1)
    return found


def script_file_lines(project: Project, body: str) -> tuple[str, ...]:
    """The commands of the repository script a task only starts (GitHub's "scripts to
    rule them all": `"test": "script/test"`), so what the task needs is seen: its lines
    without comments, blanks and shell options, at most MAX_SCRIPT_LINES."""
    match = _SCRIPT_FILE.match(body.strip())
    path = project.file(match.group(1)) if match else None
    if path is None:
        return ()
    lines = []
    for line in (project.tree.read_text(path) or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "set ")):
            lines.append(line)
    return tuple(lines[:MAX_SCRIPT_LINES])
