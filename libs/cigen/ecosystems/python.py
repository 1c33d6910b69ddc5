"""Python: uv, poetry, pdm, pipenv, hatch or pip, installed from the lockfile."""

from __future__ import annotations

import re

import msgspec

from libs.analysis.report import Fact
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
_IN_ENVIRONMENT = ("poe ", "nox", "tox", "invoke ")
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
    defaults = _install(draft, manager, lockfiles, tools)
    for tool, (purpose, command) in _TOOLS.items():
        if tool in tools:
            defaults.append(step(purpose, prefix + command))
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
        if _available(fact, manager):
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
    return any(_available(f, manager) for f in facts)


def _pre_commit(draft: Draft, manager: str, prefix: str, missing: list[str]) -> list[Step]:
    """A `pre-commit run --all-files` step for configured tools only pre-commit installs."""
    hook = next((t for t in draft.sub.tools if t.name == "pre-commit" and t.configured), None)
    if not missing or hook is None:
        return []
    draft.notes.append(
        f"{draft.where()}: {', '.join(missing)} run through pre-commit ({hook.source})"
    )
    if _available(hook, manager):
        return [step("lint", f"SKIP=no-commit-to-branch {prefix}pre-commit run --all-files")]
    if manager == "uv":
        return [step("lint", PRE_COMMIT.replace("pre-commit run", "uvx pre-commit run"))]
    return [
        step("install", "python -m pip install pre-commit", name="Install pre-commit"),
        step("lint", PRE_COMMIT),
    ]


def _requirement(fact: Fact) -> str:
    """A tool as pip installs it: with the version the project declares, when that is a
    plain PEP 440 specifier."""
    spec = (fact.version or "").replace(" ", "")
    return f"'{fact.name}{spec}'" if spec and _SPEC.match(spec) else fact.name


def _install(
    draft: Draft, manager: str, lockfiles: tuple[str, ...], tools: dict[str, Fact]
) -> list[Step]:
    if manager == "uv":
        members = " --all-packages" if draft.members else ""
        return [step("install", ("uv sync --locked" if lockfiles else "uv sync") + members)]
    if manager == "poetry":
        return [step("install", "poetry install --no-interaction")]
    if manager == "pdm":
        return [step("install", "pdm sync --dev" if lockfiles else "pdm install --dev")]
    if manager == "pipenv":
        return [
            step(
                "install",
                "pipenv install --deploy --dev" if lockfiles else "pipenv install --dev",
            )
        ]
    if manager == "hatch":
        return [step("install", "hatch env create")]
    extra = [_requirement(f) for f in tools.values() if not set(f.groups) & set(lockfiles)]
    if lockfiles and "pytest" in draft.tests() and not _installs_pytest(draft, manager):
        extra.insert(0, "pytest")
    if lockfiles:
        files = " ".join(f"-r {_inside(draft, p)}" for p in lockfiles)
        steps = [step("install", f"python -m pip install {files}", name="Install dependencies")]
        if extra:
            run = "python -m pip install " + " ".join(extra)
            steps.append(step("install", run, name="Install the checks"))
        return steps
    if "pytest" in draft.tests():
        extra.insert(0, "pytest")
        draft.notes.append(
            f"{draft.where()}: no requirements file; pytest is installed beside the package"
        )
    packages = "".join(f" {p}" for p in extra)
    return [step("install", f"python -m pip install -e .{packages}", name="Install the package")]


def _inside(draft: Draft, path: str) -> str:
    return path if draft.directory == "." else path.removeprefix(draft.directory + "/")


def _in_environment(item: Step, prefix: str) -> Step:
    if prefix and item.run.startswith(_IN_ENVIRONMENT) and not item.run.startswith(prefix):
        return msgspec.structs.replace(item, run=prefix + item.run)
    return item


def _tests(draft: Draft, manager: str, prefix: str) -> list[Step]:
    tests = draft.tests()
    if manager == "hatch" and "pytest" in tests:
        return [step("test", "hatch test")]
    if "pytest" in tests and manager == "uv" and not _installs_pytest(draft, manager):
        return [step("test", "uv run --with pytest pytest")]
    if "pytest" in tests:
        return [step("test", prefix + "pytest" if prefix else "python -m pytest")]
    if "django" in draft.frameworks() and "unittest" in tests:
        return [step("test", f"{prefix}python manage.py test")]
    if "unittest" in tests:
        return [step("test", f"{prefix}python -m unittest discover")]
    if "nose2" in tests:
        return [step("test", prefix + "nose2")]
    return []
