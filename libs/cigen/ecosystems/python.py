"""Python: uv, poetry, pdm, pipenv, hatch or pip, installed from the lockfile."""

from __future__ import annotations

import re

import msgspec

from libs.cigen.ecosystems.common import Draft, assemble, safe_path, step
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


def plan(draft: Draft) -> Job:
    manager = next(m for m in MANAGERS if m in draft.managers())
    version, source = draft.manager_fact_version(manager)
    lockfiles = _lockfiles(draft, manager)
    prefix = RUN_PREFIX.get(manager, "")
    defaults = [_install(draft, manager, lockfiles)]
    for tool, (purpose, command) in _TOOLS.items():
        if tool in draft.tools():
            defaults.append(step(purpose, prefix + command))
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


def _install(draft: Draft, manager: str, lockfiles: tuple[str, ...]) -> Step:
    if manager == "uv":
        members = " --all-packages" if draft.members else ""
        return step("install", ("uv sync --locked" if lockfiles else "uv sync") + members)
    if manager == "poetry":
        return step("install", "poetry install --no-interaction")
    if manager == "pdm":
        return step("install", "pdm sync --dev" if lockfiles else "pdm install --dev")
    if manager == "pipenv":
        return step(
            "install", "pipenv install --deploy --dev" if lockfiles else "pipenv install --dev"
        )
    if manager == "hatch":
        return step("install", "hatch env create")
    if lockfiles:
        files = " ".join(f"-r {_inside(draft, p)}" for p in lockfiles)
        return step("install", f"python -m pip install {files}", name="Install dependencies")
    extra = " pytest" if "pytest" in draft.tests() else ""
    if extra:
        draft.notes.append(
            f"{draft.where()}: no requirements file; pytest is installed beside the package"
        )
    return step("install", f"python -m pip install -e .{extra}", name="Install the package")


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
    if "pytest" in tests:
        return [step("test", prefix + "pytest" if prefix else "python -m pytest")]
    if "django" in tests or ("django" in draft.frameworks() and "unittest" in tests):
        return [step("test", f"{prefix}python manage.py test")]
    if "unittest" in tests:
        return [step("test", f"{prefix}python -m unittest discover")]
    if "nose2" in tests:
        return [step("test", prefix + "nose2")]
    return []
