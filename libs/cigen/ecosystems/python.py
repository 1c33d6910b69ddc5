"""Python: uv, poetry, pdm, pipenv, hatch or pip, installed from the lockfile."""

from __future__ import annotations

import re

import msgspec

from libs.analysis.report import Fact
from libs.cigen import tools
from libs.cigen.ecosystems.common import NEEDS_CONFIG, Draft, assemble, safe_path, step
from libs.cigen.plan import Job, Purpose, Step

MANAGERS = ("uv", "poetry", "pdm", "pipenv", "hatch", "pip")
RUN_PREFIX = {
    "uv": "uv run ",
    "poetry": "poetry run ",
    "pdm": "pdm run ",
    "pipenv": "pipenv run ",
    "hatch": "hatch run ",
}
LOCKFILES = {
    "uv": ("uv.lock",),
    "poetry": ("poetry.lock",),
    "pdm": ("pdm.lock",),
    "pipenv": ("Pipfile.lock",),
}
# Task runners installed into the project's environment, not on PATH.
_IN_ENVIRONMENT = ("poe ", "nox", "tox", "invoke ", "python ", "pytest", "mypy ")
_REQUIREMENTS = re.compile(r"(^|/)requirements[^/]*(/[^/]+)?\.txt$")
_TOOLS: dict[str, tuple[Purpose, str]] = {
    "ruff": ("lint", "ruff check ."),
    "flake8": ("lint", "flake8"),
    "black": ("format", "black --check ."),
    "isort": ("format", "isort --check-only ."),
    "mypy": ("typecheck", "mypy ."),
    "pyright": ("typecheck", "pyright"),
    "basedpyright": ("typecheck", "basedpyright"),
}
# The declarations (`Fact.groups`) each install step brings into the environment; pip
# installs the tools it runs explicitly, and hatch environments are not read.
_INSTALLS: dict[str, tuple[str, ...]] = {
    "uv": ("project", "group:dev"),
    "poetry": ("project", "group:"),
    "pdm": ("project", "group:"),
    "pipenv": ("project", "group:dev"),
}
_SPEC = re.compile(r"^(?:[<>=!~]=?=?\s*[0-9][0-9A-Za-z.*+!]*\s*,?\s*)+$")
_RUFF_REPLACES = ("black", "isort", "flake8")
PRE_COMMIT = "SKIP=no-commit-to-branch pre-commit run --all-files"


def plan(draft: Draft) -> Job:
    manager = next(m for m in MANAGERS if m in draft.managers())
    version, source = draft.manager_fact_version(manager)
    lockfiles = _lockfiles(draft, manager)
    prefix = RUN_PREFIX.get(manager, "")
    tools, missing = _checks(draft, manager)
    groups = _groups(draft, manager, tools)
    defaults = _install(draft, manager, lockfiles, tools, groups)
    for tool, (purpose, command) in _TOOLS.items():
        if tool in tools:
            defaults.append(step(purpose, prefix + _check_command(tools[tool], command)))
    defaults.extend(_pre_commit(draft, manager, prefix, missing))
    defaults.extend(_tests(draft, manager, prefix))
    steps = [_in_environment(s, prefix) for s in assemble(draft, defaults)]
    return Job(
        id="",
        name="",
        ecosystem="python",
        runtime=draft.runtime("python"),
        manager=manager,
        manager_version=version,
        manager_pinned_in_manifest=source is not None,
        lockfiles=lockfiles,
        steps=steps,
        timeout_minutes=20,
    )


def _lockfiles(draft: Draft, manager: str) -> tuple[str, ...]:
    if manager in LOCKFILES:
        return draft.lockfiles(*LOCKFILES[manager])
    if manager != "pip":
        return ()
    # pip installs from requirements files: the analysis lists them as manifests (and as
    # lockfiles when they are fully pinned with hashes).
    candidates = [*draft.sub.lockfiles, *draft.sub.manifests]
    found = (draft.rel(p) for p in candidates if _REQUIREMENTS.search(p))
    return tuple(dict.fromkeys(p for p in found if safe_path(p)))


def _checks(draft: Draft, manager: str) -> tuple[dict[str, Fact], list[str]]:
    """The check tools to run (name -> fact), and configured ones left out because the
    install step does not bring them in (pre-commit may)."""
    run: dict[str, Fact] = {}
    missing: list[str] = []
    for fact in draft.sub.tools:
        if fact.name not in _TOOLS or not _wanted(draft, fact):
            continue
        if _available(fact, manager) or _on_request(fact, manager):
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


def _check_command(fact: Fact, command: str) -> str:
    """mypy on what its configuration names, when it names something (bare `mypy` reads
    `files`/`packages`/`modules` from there), not on the whole tree."""
    if fact.name == "mypy" and fact.targets:
        return "mypy"
    return command


def _on_request(fact: Fact, manager: str) -> str | None:
    """The declaration (`group:NAME`/`extra:NAME`) the install step can add for a tool the
    project declares outside what it installs by default: a type checker is run with its
    group (its stubs and plugins are there), never alone."""
    for group in fact.groups:
        kind, _, name = group.partition(":")
        if not name or "doc" in name.lower() or not safe_path(name):
            continue
        if manager in ("uv", "pip") and kind in ("group", "extra"):
            return group
        if manager == "pdm" and kind == "extra":
            return group
    return None


def _groups(draft: Draft, manager: str, tools: dict[str, Fact]) -> list[str]:
    """Declarations to install beside the defaults: those of the checks we run and of
    pytest, where the default install leaves them out (pip installs none by default)."""
    facts = [*tools.values(), *(f for f in draft.sub.test_frameworks if f.name == "pytest")]
    wanted: list[str] = []
    for fact in facts:
        if manager != "pip" and _available(fact, manager):
            continue
        group = _on_request(fact, manager)
        if group is not None and group not in wanted:
            wanted.append(group)
    return wanted


def _available(fact: Fact, manager: str) -> bool:
    if manager not in _INSTALLS:
        return True  # pip installs what it runs; hatch keeps its own environments
    return any(g.startswith(_INSTALLS[manager]) for g in fact.groups)


def _installs_pytest(draft: Draft, manager: str) -> bool:
    """Whether the install step brings in pytest (pip: one of its requirements files)."""
    facts = [f for f in draft.sub.test_frameworks if f.name == "pytest"]
    if manager == "pip":
        files = set(_lockfiles(draft, manager))
        return any(set(f.groups) & files for f in facts)
    return any(_available(f, manager) or _on_request(f, manager) for f in facts)


def _pre_commit(draft: Draft, manager: str, prefix: str, missing: list[str]) -> list[Step]:
    """A hooks step for configured tools only the git hooks install, run with the hook
    runner the repository uses: pre-commit, or prek (which reads the same configuration);
    none where lefthook or husky run the hooks (their commands check staged files)."""
    declared = {t.name: t for t in draft.sub.tools}
    config = next(
        (t for t in draft.sub.tools if t.name in ("pre-commit", "prek") and t.configured), None
    )
    if not missing or config is None:
        return []
    other = next((name for name in ("lefthook", "husky") if name in declared), None)
    if other is not None:
        draft.notes.append(
            f"{draft.where()}: no hooks step for {', '.join(missing)}: the repository runs "
            f"its git hooks with {other} ({declared[other].source}), not pre-commit"
        )
        return []
    runner = "prek" if "prek" in declared else "pre-commit"
    draft.notes.append(
        f"{draft.where()}: {', '.join(missing)} run through {runner} ({config.source})"
    )
    command = PRE_COMMIT.replace("pre-commit run", f"{runner} run")
    if _available(declared.get(runner, config), manager):
        return [step("lint", command.replace(f"{runner} run", f"{prefix}{runner} run"))]
    version = tools.PYTHON[runner]
    if manager == "uv":
        return [step("lint", command.replace(f"{runner} run", f"uvx {runner}@{version} run"))]
    return [_pip_step(tools.pinned(runner), f"Install {runner}"), step("lint", command)]


def _requirement(fact: Fact) -> str:
    """A tool as pip installs it: pinned to the version the project declares, or to ours
    when it fits the project's range (tools.python_tool)."""
    spec = (fact.version or "").replace(" ", "")
    return tools.python_tool(fact.name, spec if _SPEC.match(spec) else None)


def _flags(manager: str, groups: list[str]) -> str:
    """The install command's options for the extra declarations it installs."""
    flags = ""
    for group in groups:
        kind, _, name = group.partition(":")
        if manager == "uv":
            flags += f" --{kind} {name}"
        elif manager == "pdm":
            flags += f" -G {name}"
    return flags


def _install(
    draft: Draft,
    manager: str,
    lockfiles: tuple[str, ...],
    checks: dict[str, Fact],
    groups: list[str],
) -> list[Step]:
    if manager == "uv":
        members = " --all-packages" if draft.members else ""
        sync = "uv sync --locked" if lockfiles else "uv sync"
        return [step("install", sync + members + _flags(manager, groups))]
    if manager == "poetry":
        return [step("install", "poetry install --no-interaction")]
    if manager == "pdm":
        sync = "pdm sync --dev" if lockfiles else "pdm install --dev"
        return [step("install", sync + _flags(manager, groups))]
    if manager == "pipenv":
        return [
            step(
                "install",
                "pipenv install --deploy --dev" if lockfiles else "pipenv install --dev",
            )
        ]
    if manager == "hatch":
        return [step("install", "hatch env create")]
    return _pip_install(draft, lockfiles, checks, groups)


def _pip_install(
    draft: Draft, lockfiles: tuple[str, ...], checks: dict[str, Fact], groups: list[str]
) -> list[Step]:
    """pip: the requirements files, or the package with the extras and dependency groups
    that declare its checks and pytest; every tool none of those lists, by name, pinned."""
    covered = set(lockfiles) | set(groups)
    extra = [_requirement(f) for f in checks.values() if not set(f.groups) & covered]
    pytest = [f for f in draft.sub.test_frameworks if f.name == "pytest"]
    if "pytest" in draft.tests() and not any(set(f.groups) & covered for f in pytest):
        extra.insert(0, _requirement(pytest[0]) if pytest else tools.pinned("pytest"))
        if not lockfiles:
            draft.notes.append(
                f"{draft.where()}: pytest is not in the files the job installs; it is "
                "installed beside the package"
            )
    steps: list[Step] = []
    dependency_groups = [g.partition(":")[2] for g in groups if g.startswith("group:")]
    if dependency_groups:  # `pip install --group` arrived in pip 25.1
        steps.append(
            step("install", f"python -m pip install {tools.pinned('pip')}", name="Update pip")
        )
    if lockfiles:
        files = " ".join(f"-r {_inside(draft, p)}" for p in lockfiles)
        steps.append(step("install", f"python -m pip install {files}", name="Install dependencies"))
        if extra:
            run = "python -m pip install " + " ".join(extra)
            steps.append(step("install", run, name="Install the checks"))
        return steps
    extras = [g.partition(":")[2] for g in groups if g.startswith("extra:")]
    package = f'-e ".[{",".join(extras)}]"' if extras else "-e ."
    options = "".join(f" --group {name}" for name in dependency_groups)
    packages = "".join(f" {p}" for p in extra)
    run = f"python -m pip install {package}{options}{packages}"
    steps.append(step("install", run, name="Install the package"))
    return steps


def _pip_step(requirement: str, name: str) -> Step:
    return step("install", f"python -m pip install {requirement}", name=name)


def _inside(draft: Draft, path: str) -> str:
    return path if draft.directory == "." else path.removeprefix(draft.directory + "/")


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
    if "pytest" in tests and manager == "uv" and not _installs_pytest(draft, manager):
        return [step("test", f"uv run --with {tools.pinned('pytest')} pytest")]
    if "pytest" in tests:
        return [step("test", prefix + "pytest" if prefix else "python -m pytest")]
    if "django" in draft.frameworks() and "unittest" in tests:
        return [step("test", f"{prefix}python manage.py test")]
    if "unittest" in tests:
        return [step("test", f"{prefix}python -m unittest discover")]
    if "nose2" in tests:
        return [step("test", prefix + "nose2")]
    return []
