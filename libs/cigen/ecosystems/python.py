"""Python: uv, poetry, pdm, pipenv, hatch or pip, installed from the lockfile."""

from __future__ import annotations

import re

import msgspec

from libs.analysis.report import Fact
from libs.cigen import tools
from libs.cigen.ecosystems.common import (
    HOOK_RUNNERS,
    NEEDS_CONFIG,
    Draft,
    assemble,
    browsers_step,
    step,
)
from libs.cigen.ecosystems.python_install import (
    RUN_PREFIX,
    available,
    extra_groups,
    install,
    installs_pytest,
    locked_files,
    on_request,
    pip_step,
    task_runners,
)
from libs.cigen.ecosystems.python_runners import runner_pytest_args
from libs.cigen.ecosystems.shell import safe_command
from libs.cigen.plan import Job, Purpose, Step

MANAGERS = ("uv", "poetry", "pdm", "pipenv", "hatch", "pip")

# Task runners installed into the project's environment, not on PATH.
_IN_ENVIRONMENT = (
    "poe ",
    "nox",
    "tox",
    "invoke ",
    "python ",
    "pytest",
    "mypy ",
    "make ",
    "bash ",
    "sh ",
    "scripts/",
    "./scripts/",
)
_TOOLS: dict[str, tuple[Purpose, str]] = {
    "ruff": ("lint", "ruff check ."),
    "flake8": ("lint", "flake8"),
    "black": ("format", "black --check ."),
    "isort": ("format", "isort --check-only ."),
    "mypy": ("typecheck", "mypy ."),
    "pyright": ("typecheck", "pyright"),
    "basedpyright": ("typecheck", "basedpyright"),
}
_RUFF_REPLACES = ("black", "isort", "flake8")
PRE_COMMIT = "SKIP=no-commit-to-branch pre-commit run --all-files"
# a CI line that runs a type checker on named paths: `mypy src tests`, `uv run pyright pkg`
_CI_CHECKER = re.compile(r"(?:^|\s)((mypy|pyright)(?:\s+[\w./=-]+)+)$")
# a CI line that checks named paths with ruff (`ruff check mealie`, mealie's Taskfile),
# black, isort (`isort --profile hug --check --diff isort/ tests/`) or flake8
_CI_CHECKS = {
    "ruff": re.compile(r"(?:^|\s)(ruff\s+check(?:\s+[\w./=-]+)+)$"),
    "black": re.compile(r"(?:^|\s)(black(?:\s+[\w./=-]+)+)$"),
    "isort": re.compile(r"(?:^|\s)(isort(?:\s+[\w./=-]+)+)$"),
    "flake8": re.compile(r"(?:^|\s)(flake8(?:\s+[\w./=-]+)*)$"),
}
# black checks with --check only (its -c is --code); isort with --check-only, --check, -c
_CHECKS = {
    "black": re.compile(r"(?:^|\s)--check(?:\s|$)"),
    "isort": re.compile(r"(?:^|\s)(?:--check-only|--check|-c)(?:\s|$)"),
}
_FIXES = re.compile(r"(?:^|\s)--fix\b")


def plan(draft: Draft) -> Job:
    manager = next(m for m in MANAGERS if m in draft.managers())
    version, source = draft.manager_fact_version(manager)
    if version is not None and not tools.names_one_release(version):
        # `uv 0.5` names a line, not a release: the job installs one it names itself
        draft.notes.append(
            f"{draft.where()}: {manager} {version} ({source}) names no single release; "
            f"the job installs {manager} {tools.PYTHON.get(manager, 'at a vetted release')}"
        )
        version, source = None, None
    lockfiles = locked_files(draft, manager)
    prefix = RUN_PREFIX.get(manager, "")
    checks, missing = _checks(draft, manager)
    commands = {name: _check_command(draft, fact, _TOOLS[name][1]) for name, fact in checks.items()}
    checks = {name: fact for name, fact in checks.items() if commands[name]}
    groups = extra_groups(draft, manager, checks)
    defaults = install(draft, manager, lockfiles, checks, groups)
    defaults += _browsers(draft, prefix)
    for tool, (purpose, _default) in _TOOLS.items():
        if tool in checks:
            defaults.append(step(purpose, prefix + str(commands[tool])))
    defaults.extend(_pre_commit(draft, manager, prefix, missing, set(lockfiles) | set(groups)))
    defaults.extend(_tests(draft, manager, prefix))
    steps = [_in_environment(s, prefix) for s in assemble(draft, defaults)]
    steps = task_runners(draft, manager, steps, set(lockfiles) | set(groups))
    # the git hooks last: they fetch their own tools, and their failure should not hide
    # whether the tests pass
    hooks = [s for s in steps if s.run.endswith(" run --all-files") and "SKIP=" in s.run]
    steps = [s for s in steps if s not in hooks] + hooks
    if not hooks:  # the repository's lint command took the hooks step's place (yarl)
        steps = [s for s in steps if not (s.purpose == "install" and s.tool in HOOK_RUNNERS)]
    runtime = draft.runtime("python")
    if runtime.is_matrix:
        # sqlite-utils type-checks on its newest Python only: pyright on 3.11 reads 3.11's
        # typeshed and fails where the project never looks
        newest = max(runtime.versions, key=lambda v: [int(n) for n in re.findall(r"\d+", v)])
        steps = [
            msgspec.structs.replace(s, only_on=newest) if s.purpose == "typecheck" else s
            for s in steps
        ]
    return Job(
        id="",
        name="",
        ecosystem="python",
        runtime=runtime,
        manager=manager,
        manager_version=version,
        manager_pinned_in_manifest=source is not None,
        lockfiles=lockfiles,
        steps=steps,
        timeout_minutes=20,
    )


def _checks(draft: Draft, manager: str) -> tuple[dict[str, Fact], list[str]]:
    """The check tools to run (name -> fact), and configured ones left out because the
    install step does not bring them in (pre-commit may)."""
    run: dict[str, Fact] = {}
    missing: list[str] = []
    hooks = any(t.name in HOOK_RUNNERS and t.configured for t in draft.sub.tools)
    for fact in draft.sub.tools:
        if fact.name not in _TOOLS or not _wanted(draft, fact):
            continue
        # pip installs any tool by name, but one no declaration lists, in a repository
        # with git hooks, is the hooks' tool: they run it with their excludes and plugins
        # (black's flake8 skips tests/data, which holds deliberately broken code)
        hooked = manager == "pip" and hooks and not fact.groups
        if not hooked and (available(fact, manager) or on_request(fact, manager)):
            run[fact.name] = fact
        else:
            missing.append(fact.name)
            draft.notes.append(
                f"{draft.where()}: no {fact.name} step: the {manager} install step does not "
                f"install it (it is not in the project's dependencies or installed groups)"
            )
    return run, missing


def _wanted(draft: Draft, fact: Fact) -> bool:
    """A configured tool; or one only declared, for development (not only by the
    package's runtime dependencies or a documentation group), that runs on its defaults."""
    ruff = any(t.name == "ruff" and t.configured for t in draft.sub.tools)
    if not fact.configured and ruff and fact.name in _RUFF_REPLACES:
        draft.notes.append(
            f"{draft.where()}: no {fact.name} step: it has no configuration and the "
            "project's configured ruff does its job"
        )
        return False
    if fact.configured or not fact.groups:
        return fact.configured or fact.name not in NEEDS_CONFIG
    development = [g for g in fact.groups if g != "project" and "doc" not in g.lower()]
    if not development:
        draft.notes.append(
            f"{draft.where()}: no {fact.name} step: it has no configuration and only "
            f"{', '.join(fact.groups)} declares it, not the project's development tools"
        )
    return bool(development)


def _check_command(draft: Draft, fact: Fact, command: str) -> str | None:
    """A type checker on what its configuration names, when it names something (bare
    `mypy` reads `files`/`packages`/`modules` from there, `pyright` its `include`); else on
    what the repository's CI runs it on (`mypy sqlite_utils tests`). Scope named nowhere,
    in a repository whose CI never runs the checker, is no promise that the tree
    type-checks (more-itertools configures mypy for its stubs; `mypy .` reports its
    tests): no step, and a note."""
    if fact.name in _CI_CHECKS:
        return _ci_check(draft, fact.name, command) or command
    if fact.name not in ("mypy", "pyright"):
        return command
    scoped = bool(fact.targets) if fact.name == "mypy" else fact.configured
    if scoped or any(c.purpose == "typecheck" for c in draft.sub.commands):
        return fact.name  # (the repository's own typecheck command takes the step's place)
    for run in draft.ci:
        for line in run.splitlines():
            found = _CI_CHECKER.search(line.strip())
            if found is None or _asks_only(found.group(1)):
                continue
            if found.group(2) == fact.name and safe_command(found.group(1)):
                return found.group(1)
    if draft.ci and not any(fact.name in run for run in draft.ci):
        draft.notes.append(
            f"{draft.where()}: no {fact.name} step: its configuration names no files, and "
            "no command of the repository's CI runs it"
        )
        return None
    return command


def _ci_check(draft: Draft, tool: str, default: str) -> str | None:
    """A linter or formatter as the repository's CI runs it on named paths (a CI step, or
    the body of a script or task it starts): mealie's CI lints `mealie` through `task
    py:lint`, and `ruff check .` would also lint its tests, which its configuration's
    rules were never held to; isort's CI checks `isort/ tests/ scripts/`, and `isort
    --check-only .` also read the job's .venv (its `skip` setting replaces isort's
    defaults). Never a run that rewrites files."""
    pattern = _CI_CHECKS[tool]
    for run in draft.ci:
        for line in run.splitlines():
            found = pattern.search(line.strip())
            if found is None or _FIXES.search(found.group(1)) or _asks_only(found.group(1)):
                continue
            if not safe_command(found.group(1)):
                continue
            if tool in _CHECKS and not _CHECKS[tool].search(found.group(1)):
                continue  # black and isort rewrite unless told to check
            command = found.group(1)
            if set(command.split()) != set(default.split()):
                draft.notes.append(
                    f"{draft.where()}: {tool} checks what the repository's CI checks: `{command}`"
                )
            return command
    return None


def _asks_only(command: str) -> bool:
    """A tool asked only for its version or help (`mypy --version`, urllib3's nox session
    prints it before its check): it checks nothing."""
    return set(command.split()[1:]) <= {"--version", "-V", "--help", "-h"}


def _pre_commit(
    draft: Draft, manager: str, prefix: str, missing: list[str], installed: set[str]
) -> list[Step]:
    """A hooks step for configured tools only the git hooks install, run with the hook
    runner the repository uses: pre-commit, or prek (which reads the same configuration);
    none where lefthook or husky run the hooks (their commands check staged files). The
    runner comes with the install step where a declaration it installs lists it (pip: the
    project, or a requirements file or extra it installs), else it is installed pinned."""
    declared = {t.name: t for t in draft.sub.tools}
    config = next((t for t in draft.sub.tools if t.name in HOOK_RUNNERS and t.configured), None)
    if not missing or config is None:
        return []
    other = next((name for name in ("lefthook", "husky") if name in declared), None)
    if other is not None:
        draft.notes.append(
            f"{draft.where()}: no hooks step for {', '.join(missing)}: the repository runs "
            f"its git hooks with {other} ({declared[other].source}), not pre-commit"
        )
        return []
    if not draft.hooks_enforced():
        draft.notes.append(
            f"{draft.where()}: no hooks step for {', '.join(missing)}: nothing shows the "
            f"tree passes its hooks ({config.source}): its CI does not run them and "
            "pre-commit.ci is not configured (rich's tree failed five of its own hooks)"
        )
        return []
    runner = "prek" if "prek" in declared else "pre-commit"
    draft.notes.append(
        f"{draft.where()}: {', '.join(missing)} run through {runner} ({config.source})"
    )
    command = PRE_COMMIT.replace("pre-commit run", f"{runner} run")
    fact = declared.get(runner, config)
    if manager == "pip":
        there = bool({"project", *installed} & set(fact.groups))
    else:
        there = available(fact, manager)
    if there:
        return [step("lint", command.replace(f"{runner} run", f"{prefix}{runner} run"))]
    version = tools.PYTHON[runner]
    if manager == "uv":
        return [step("lint", command.replace(f"{runner} run", f"uvx {runner}@{version} run"))]
    install = pip_step(tools.pinned(runner), f"Install {runner}")
    install = msgspec.structs.replace(install, tool=runner)  # gone with its hooks step
    return [install, step("lint", command)]


# the repository's CI starts tox (`tox run -e ${{ matrix.tox_env }}`, `uvx ... tox -e py`),
# not a line that installs it
_CI_TOX = re.compile(r"^(?!.*\binstall\b).*(?:^|\s)tox(?:\s|$)")


def _tox_tests(draft: Draft, manager: str) -> list[Step]:
    """`tox -e py` where a pip project's CI runs its tests through tox and tox.ini's test
    environment installs what they need beyond the package: pytest-mock's testenv adds
    pytest-asyncio and mock, and 8 of its tests failed under a bare pytest."""
    if manager != "pip" or not any(_CI_TOX.search(run) for run in draft.ci_here):
        return []
    if any(c.purpose == "test" for c in draft.sub.commands) or draft.ci_scripts:
        return []  # the repository's own test command comes first (assemble)
    env = next(
        (t for t in draft.sub.tasks if t.runner == "tox" and t.purpose == "test" and t.deps),
        None,
    )
    if env is None:
        return []
    draft.notes.append(
        f"{draft.where()}: the tests run through tox, as the repository's CI runs them: "
        f"`tox -e py` (its test environment in {env.source} installs "
        f"{', '.join(env.deps[:4])})"
    )
    return [step("test", "tox -e py")]


# `playwright install chromium`, `python -m playwright install --with-deps`, `uv run ...`
_BROWSER_INSTALL = re.compile(
    r"^(?:(?:uv|poetry|pdm|hatch|pipenv)\s+run\s+)?(?:python[\d.]*\s+-m\s+)?"
    r"playwright\s+(install\b[^\n;&|]*)"
)


def _browsers(draft: Draft, prefix: str) -> list[Step]:
    """The browsers a test suite drives through Playwright for Python, installed as the
    repository's CI installs them in this folder: djangoproject.com's end-to-end tests
    launch Chromium after its CI's `python -m playwright install --with-deps chromium`,
    and fail without it ("Executable doesn't exist")."""
    for run in draft.ci_here:
        found = _BROWSER_INSTALL.match(run.strip())
        command = "python -m playwright " + " ".join(found.group(1).split()) if found else ""
        if command and safe_command(command):
            # the project's Playwright, in its environment
            return [browsers_step(draft, command, prefix + command)]
    return []


def _in_environment(item: Step, prefix: str) -> Step:
    """A check or test that must run inside the project's environment (`uv run ...`)."""
    inside = item.purpose != "install" and item.run.startswith(_IN_ENVIRONMENT)
    if prefix and inside and not item.run.startswith(prefix):
        return msgspec.structs.replace(item, run=prefix + item.run)
    return item


def _tests(draft: Draft, manager: str, prefix: str) -> list[Step]:
    tests = draft.tests()
    if manager == "hatch" and "pytest" in tests:
        return [step("test", "hatch test")]
    through_tox = _tox_tests(draft, manager)
    if through_tox:
        return through_tox
    if "pytest" in tests and manager == "uv" and not installs_pytest(draft, manager):
        args = runner_pytest_args(draft)
        return [step("test", f"uv run --with {tools.pinned('pytest')} pytest{args}")]
    if "pytest" in tests:
        args = runner_pytest_args(draft)
        return [step("test", (prefix + "pytest" if prefix else "python -m pytest") + args)]
    if "django" in draft.frameworks() and "unittest" in tests:
        return [step("test", f"{prefix}python manage.py test")]
    if "unittest" in tests:
        return [step("test", f"{prefix}python -m unittest discover")]
    if "nose2" in tests:
        return [step("test", prefix + "nose2")]
    return []
