"""Python: what a job's install step brings into the environment, and installing the
rest (the groups that declare its checks, pinned tools, task runners)."""

from __future__ import annotations

import re

import msgspec

from libs.analysis.report import Fact
from libs.cigen import tools
from libs.cigen.ecosystems.common import Draft, safe_path, step
from libs.cigen.evidence import task_chain
from libs.cigen.plan import Step

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
# task runners the repository's commands start (and the git hooks runners a make
# target's recipe may start), and the package that provides each
_RUNNERS = {
    "poe": "poethepoet",
    "tox": "tox",
    "nox": "nox",
    "pre-commit": "pre-commit",
    "prek": "prek",
}
_REQUIREMENTS = re.compile(r"(^|/)requirements[^/]*(/[^/]+)?\.txt$")
# The declarations (`Fact.groups`) each install step brings into the environment; pip
# installs the tools it runs explicitly, and hatch environments are not read.
_INSTALLS: dict[str, tuple[str, ...]] = {
    "uv": ("project", "group:dev"),
    "poetry": ("project", "group:"),
    "pdm": ("project", "group:"),
    "pipenv": ("project", "group:dev"),
}
# the repository's CI installs every extra: `uv sync --group testing --all-extras`
# a `uv sync` command with its options, up to the end of its command in the line
_UV_SYNC = re.compile(r"\buv sync\b[^\n;&|]*")
# `pip install -e ".[d]"`: the extras a command installs with the package
_PIP_EXTRAS = re.compile(
    r"\bpip3?\s+install\s+(?:-e\s+|--editable\s+)?[\"']?\.\[(?P<extras>[\w,\s-]+)\][\"']?"
)
_PIP_INSTALL = re.compile(r"\bpip3?\s+install\b")
_PYTEST = re.compile(r"(^|[\s;&|(])(python3?\s+-m\s+)?pytest\b")
_SPEC = re.compile(r"^(?:[<>=!~]=?=?\s*[0-9][0-9A-Za-z.*+!]*\s*,?\s*)+$")


def locked_files(draft: Draft, manager: str) -> tuple[str, ...]:
    if manager in LOCKFILES:
        return draft.lockfiles(*LOCKFILES[manager])
    if manager != "pip":
        return ()
    # pip installs from requirements files: the analysis lists them as manifests (and as
    # lockfiles when they are fully pinned with hashes).
    candidates = [*draft.sub.lockfiles, *draft.sub.manifests]
    found = (draft.rel(p) for p in candidates if _REQUIREMENTS.search(p))
    files = tuple(dict.fromkeys(p for p in found if safe_path(p)))
    # those the repository's CI installs here, else every one but the documentation's:
    # yarl's requirements/doc.txt pins a Sphinx that needs Python 3.12, and its CI
    # installs requirements/test.txt
    named = [f for f in (draft.rel(r) for r in draft.ci_requirements) if f in files]
    if named:
        return tuple(named)
    return tuple(f for f in files if "doc" not in f.rsplit("/", 1)[-1].lower()) or files


def on_request(fact: Fact, manager: str) -> str | None:
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


def extra_groups(draft: Draft, manager: str, tools: dict[str, Fact]) -> list[str]:
    """Declarations to install beside the defaults: those of the checks we run and of
    pytest, where the default install leaves them out (pip installs none by default)."""
    facts = [*tools.values(), *(f for f in draft.sub.test_frameworks if f.name == "pytest")]
    # and the declaration named for the tests, whatever runs them: jsonschema's unittest
    # suite imports jsonpath-ng, which only its `test` group lists
    named = [Fact(name="tests", source="", groups=(g,)) for g in draft.sub.test_declarations]
    wanted: list[str] = []
    for fact in [*facts, *named]:
        if manager != "pip" and available(fact, manager):
            continue
        group = on_request(fact, manager)
        if group is not None and group not in wanted:
            wanted.append(group)
    return wanted


def available(fact: Fact, manager: str) -> bool:
    if manager not in _INSTALLS:
        return True  # pip installs what it runs; hatch keeps its own environments
    return any(g.startswith(_INSTALLS[manager]) for g in fact.groups)


def installs_pytest(draft: Draft, manager: str) -> bool:
    """Whether the install step brings in pytest (pip: one of its requirements files)."""
    facts = [f for f in draft.sub.test_frameworks if f.name == "pytest"]
    if manager == "pip":
        files = set(locked_files(draft, manager))
        return any(set(f.groups) & files for f in facts)
    return any(available(f, manager) or on_request(f, manager) for f in facts)


def requirement(fact: Fact) -> str:
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


def _ci_uv_syncs(draft: Draft) -> list[str]:
    """The `uv sync` commands the repository's CI runs, with their options."""
    return [m.group(0) for run in draft.ci for m in _UV_SYNC.finditer(run)]


# the repository's CI runs uv with --frozen (`uv run --frozen -m build`) or --locked
_UV_LOCK_FLAG = re.compile(
    r"\buv\s+(?:sync|run|export|tree)((?:\s+-[^\s;&|]+(?:\s+[^-\s;&|][^\s;&|]*)??)*?)"
    r"\s+(--frozen|--locked)(?=\s|$)"
)


def _lock_check(draft: Draft) -> str:
    """`--locked` (uv.lock must match pyproject.toml), unless the repository's CI installs
    from its lock with `--frozen` and never `--locked`: jsonschema's uv.lock was out of
    date with its pyproject.toml, which its CI (`uv run --frozen`, nox) never notices."""
    flags = {m.group(2) for run in draft.ci for m in _UV_LOCK_FLAG.finditer(run)}
    if flags == {"--frozen"}:
        draft.notes.append(
            f"{draft.where()}: `uv sync --frozen`, as the repository's CI installs from "
            "uv.lock without checking it matches pyproject.toml"
        )
        return "--frozen"
    return "--locked"


def _all_packages(draft: Draft) -> bool:
    """Whether a workspace root's `uv sync` installs every member: unless the repository's
    CI syncs, and never with `--all-packages` (`--package X` is one member). mcp's CI syncs
    the root alone; with every member, an example client whose `readme = "README.md"`
    names its README.MD failed to build on Linux."""
    syncs = _ci_uv_syncs(draft)
    if not syncs or any("--all-packages" in s for s in syncs):
        return True
    said = min(syncs, key=lambda sync: "--package" in sync).strip()
    draft.notes.append(
        f"{draft.where()}: `uv sync` without --all-packages, as the repository's CI syncs "
        f"(`{said}`): the workspace's other members are not installed"
    )
    return False


def install(
    draft: Draft,
    manager: str,
    lockfiles: tuple[str, ...],
    checks: dict[str, Fact],
    groups: list[str],
) -> list[Step]:
    if manager == "uv":
        members = " --all-packages" if draft.members and _all_packages(draft) else ""
        sync = f"uv sync {_lock_check(draft)}" if lockfiles else "uv sync"
        # pydantic-settings' docs examples import what its extras bring, and its CI says so
        extras = " --all-extras" if any("--all-extras" in s for s in _ci_uv_syncs(draft)) else ""
        return [step("install", sync + members + _flags(manager, groups) + extras)]
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
    itself = not lockfiles or _package_beside(draft, lockfiles)
    # installing the package brings its own dependencies and the extras asked for with
    # it; dependency groups install without it
    covered = set(lockfiles) | {g for g in groups if itself or g.startswith("group:")}
    covered |= {"project"} if itself else set()
    extra = [requirement(f) for f in checks.values() if not set(f.groups) & covered]
    pytest = [f for f in draft.sub.test_frameworks if f.name == "pytest"]
    if "pytest" in draft.tests() and not any(set(f.groups) & covered for f in pytest):
        extra.insert(0, requirement(pytest[0]) if pytest else tools.pinned("pytest"))
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
    extras = [g.partition(":")[2] for g in groups if g.startswith("extra:")]
    extras += [e for e in _test_extras(draft) if e not in extras]
    package = (f'-e ".[{",".join(extras)}]"' if extras else "-e .") if itself else ""
    options = "".join(f" --group {name}" for name in dependency_groups)
    if not lockfiles:
        packages = "".join(f" {p}" for p in extra)
        run = f"python -m pip install {package}{options}{packages}"
        return [*steps, step("install", run, name="Install the package")]
    files = " ".join(f"-r {_inside(draft, p)}" for p in lockfiles)
    steps.append(step("install", f"python -m pip install {files}", name="Install dependencies"))
    if package or options:
        # a step of its own: requirements with hashes put pip in hash-checking mode, where
        # an editable install is refused
        run = f"python -m pip install {package}{options}".replace("install  ", "install ")
        name = "Install the package" if package else "Install the dependency groups"
        steps.append(step("install", run.rstrip(), name=name))
    if extra:
        run = "python -m pip install " + " ".join(extra)
        steps.append(step("install", run, name="Install the checks"))
    return steps


def _package_beside(draft: Draft, lockfiles: tuple[str, ...]) -> bool:
    """Whether the package is installed beside the requirements files: the folder is one
    and none of them installs it. python-dotenv's requirements.txt lists its test tools,
    and its tests, which import the package, stopped at collection without it."""
    package = draft.sub.python_package
    if package is None:
        return False
    if {draft.rel(p) for p in draft.sub.package_installed_by} & set(lockfiles):
        return False
    draft.notes.append(
        f"{draft.where()}: the package ({draft.rel(package)}) is installed beside "
        f"{', '.join(lockfiles)}, which do not install it"
    )
    return True


def _test_extras(draft: Draft) -> list[str]:
    """The extras the repository's own CI installs with the package just before its
    first pytest run: black's tox env runs `pip install -e .[d]`, then pytest, and its
    tests of blackd stop at collection without the `d` extra's aiohttp."""
    extras: list[str] = []
    for run in draft.ci:
        if _PYTEST.search(run) and not _PIP_INSTALL.search(run):
            if extras:
                draft.notes.append(
                    f"{draft.where()}: the package is installed with the extras "
                    f"{', '.join(extras)}, as the repository's CI installs it before pytest"
                )
            return extras
        if _PIP_INSTALL.search(run):
            found = _PIP_EXTRAS.search(run)
            extras = [e.strip() for e in found.group("extras").split(",")] if found else []
    return []


def pip_step(requirement: str, name: str) -> Step:
    return step("install", f"python -m pip install {requirement}", name=name)


def _inside(draft: Draft, path: str) -> str:
    return path if draft.directory == "." else path.removeprefix(draft.directory + "/")


def task_runners(draft: Draft, manager: str, steps: list[Step], installed: set[str]) -> list[Step]:
    """The task runner a repository command starts (`poe lint`, `tox -e py`, or in a make
    target's recipe: yarl's `make lint` runs `pre-commit run`), installed where the job's
    install step does not bring it in: pinned, beside the checks (pip), or for that
    command only (`uv run --with`)."""
    facts = {f.name: f for f in draft.sub.tools}

    def there(runner: str) -> bool:
        fact = facts.get(runner)
        return fact is not None and (
            bool(set(fact.groups) & installed) or (manager != "pip" and available(fact, manager))
        )

    wants = {id(s): [r for r in _runners(draft, manager, s) if not there(r)] for s in steps}
    needed = list(dict.fromkeys(r for found in wants.values() for r in found))
    if not needed:
        return steps
    pins = {
        runner: requirement(facts[runner]) if runner in facts else tools.pinned(_RUNNERS[runner])
        for runner in needed
    }
    if manager == "uv":
        return [_with_runner(item, [pins[r] for r in wants[id(item)]]) for item in steps]
    if manager == "pip":
        last = max(i for i, s in enumerate(steps) if s.purpose == "install")
        install = pip_step(" ".join(pins.values()), "Install the task runner")
        return [*steps[: last + 1], install, *steps[last + 1 :]]
    draft.notes.append(
        f"{draft.where()}: {', '.join(needed)} must be in a group `{manager}` installs for "
        "the repository's commands to run"
    )
    return steps


def _runners(draft: Draft, manager: str, item: Step) -> list[str]:
    """The task runners a step starts: its command's, and those its task's recipe lines
    (and its prerequisites') start."""
    if item.purpose == "install":
        return []
    run = item.run.removeprefix(RUN_PREFIX.get(manager, "")).strip()
    found = run.split()[:1]  # our hooks step (`SKIP=... pre-commit run`) installs its own
    task = next((t for t in draft.sub.tasks if t.run == run), None)
    for each in task_chain(task, draft.sub.tasks) if task is not None else []:
        for command in each.commands:
            words = [w for w in command.lstrip("@-+ ").split() if "=" not in w]
            found += words[:1]
    return [r for r in dict.fromkeys(found) if r in _RUNNERS]


def _with_runner(item: Step, pins: list[str]) -> Step:
    if not pins or not item.run.startswith("uv run "):
        return item
    given = "".join(f"--with {pin} " for pin in pins)
    return msgspec.structs.replace(item, run=item.run.replace("uv run ", f"uv run {given}", 1))
