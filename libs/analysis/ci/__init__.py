"""Existing CI/CD pipelines and what they do; dependency update tooling.

Each pipeline says whether it tests, lints, builds, caches and releases (read from its
whole text), its triggers, and per job its runners, matrix, runtimes, services, env and
classified commands (read by the system's own reader, see the modules beside this one).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import msgspec

from libs.analysis.ci.commands import BUILD as _BUILD
from libs.analysis.ci.commands import LINT as _LINT
from libs.analysis.ci.commands import TESTS as _TESTS
from libs.analysis.ci.commands import classify
from libs.analysis.located import YMap, load
from libs.analysis.parsing import load_json
from libs.analysis.report import CiCommand, CiInfo, CiJob, CiTrigger, Fact, Pipeline
from libs.analysis.tree import FileEntry, Tree

_PIPELINE_FILES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"), "github_actions"),
    (re.compile(r"^\.gitlab-ci\.ya?ml$"), "gitlab_ci"),
    (re.compile(r"^\.circleci/config\.ya?ml$"), "circleci"),
    (re.compile(r"^\.travis\.ya?ml$"), "travis"),
    (re.compile(r"^\.?appveyor\.ya?ml$", re.I), "appveyor"),
    (
        re.compile(r"^(?:\.azure-pipelines/.+|azure-pipelines(?:/.+|[\w.-]*))\.ya?ml$"),
        "azure_pipelines",
    ),
    (re.compile(r"^(?:.+/)?Jenkinsfile(?:\.[\w-]+)?$"), "jenkins"),
    (re.compile(r"^bitbucket-pipelines\.ya?ml$"), "bitbucket"),
)
_CACHE = re.compile(
    r"(?:\bcache:\s*+(?!false\b|''|\"\"|$)|save_cache|restore_cache|\bCache@\d|enable-cache:\s*true"
    r"|bundler-cache:\s*true|setup-gradle|cache-dependency-(?:path|glob)"
    # an action whose name says it caches: actions/cache, Swatinem/rust-cache,
    # hynek/setup-cached-uv, sccache-action, cachix/cachix-action...
    r"|\buses:\s*['\"]?[\w.-]+/(?:[\w.-]+/)*[\w.-]*cach)",
    re.I | re.M,
)
# setup actions that cache by default from a major version on, unless told not to
_DEFAULT_CACHE = (
    ("actions/setup-go", 4, re.compile(r"\bcache:\s*false\b")),
    ("astral-sh/setup-uv", 5, re.compile(r"\benable-cache:\s*false\b")),
)
_RELEASE = re.compile(
    r"(?:^\s*release:|\btags:|\bgh-action-pypi-publish|action-gh-release|actions/create-release"
    r"|goreleaser|semantic-release|changesets/action|release-please|\bnpm\s+publish|twine\s+upload"
    r"|(?:poetry|uv|hatch|pdm|flit)\s+publish|cargo\s+publish|gem\s+push|docker\s+push|push:\s*true"
    r"|mvnw?\s+[^\n]*\bdeploy|gradlew?\s+[^\n]*\bpublish|nuget\s+push)",
    re.I | re.M,
)
RENOVATE_FILES = (
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
)


def pipeline_files(tree: Tree) -> list[tuple[FileEntry, str]]:
    """Every CI configuration file with its system, in path order."""
    found: list[tuple[FileEntry, str]] = []
    for entry in tree.files:
        for pattern, system in _PIPELINE_FILES:
            if pattern.match(entry.path):
                found.append((entry, system))
                break
    return found


Read = Callable[[YMap, str, Tree], tuple[list[CiTrigger], list[CiJob]]]
MAX_TRIGGERS = 50
MAX_JOBS = 200
MAX_COMMANDS = 500  # per job
# each system's reader, imported when a pipeline of it is found (most trees have one or
# two systems, and the CLI's start-up counts)
READERS = {
    "github_actions": "github",
    "gitlab_ci": "gitlab",
    "circleci": "circleci",
    "travis": "travis",
    "appveyor": "appveyor",
    "azure_pipelines": "azure",
    "bitbucket": "bitbucket",
}


def analyse_ci(tree: Tree) -> CiInfo:
    pipelines: list[Pipeline] = []
    for entry, system in pipeline_files(tree):
        text = tree.read_text(entry.path) or ""
        pipeline = Pipeline(
            system=system,  # type: ignore[arg-type]
            path=entry.path,
            runs_tests=_TESTS.search(text) is not None,
            runs_lint=_LINT.search(text) is not None,
            builds=_BUILD.search(text) is not None,
            caches=_CACHE.search(text) is not None or _implicit_cache(text),
            releases=_RELEASE.search(text) is not None,
        )
        triggers, jobs = _read(system, text, entry.path, tree)
        # bounded: a generated pipeline may hold thousands of jobs or lines
        pipeline.triggers, pipeline.jobs = triggers[:MAX_TRIGGERS], jobs[:MAX_JOBS]
        for job in pipeline.jobs:
            job.commands = [_with_script(c, tree) for c in job.commands[:MAX_COMMANDS]]
        pipelines.append(pipeline)
    return CiInfo(pipelines=pipelines, dependency_update_tools=update_tools(tree))


# a command that starts a script of the repository, through a manager's environment or a
# shell: `uv run bash scripts/test.sh`, `./scripts/test`, `sh ci/test.sh`
_STARTS_SCRIPT = re.compile(
    r"^(?:(?:uv|poetry|pdm|hatch|pipenv)\s+run\s+)?(?:(?:ba)?sh\s+)?(?:\./)?"
    r"((?:[\w.-]+/)*[\w.-]+)$"
)
MAX_SCRIPT_LINES = 40
_NOT_SHELL = (".py", ".js", ".mjs", ".ts", ".rb", ".pl", ".php")


def _with_script(command: CiCommand, tree: Tree) -> CiCommand:
    """The command with the lines of the repository script it starts, if it starts one,
    and the kind those lines give it where its own text says nothing (`bash
    scripts/test.sh` runs pytest: a test command)."""
    found = _STARTS_SCRIPT.match(command.run.strip())
    entry = tree.get(found.group(1).removeprefix("./")) if found else None
    if entry is None or entry.path.endswith(_NOT_SHELL):
        return command
    if "/" not in entry.path and not entry.path.endswith(".sh"):
        return command  # `pytest` is a program, not a file at the root that runs tests
    lines = [
        line.strip()
        for line in (tree.read_text(entry.path) or "").splitlines()
        if line.strip() and not line.strip().startswith(("#", "set "))
    ][:MAX_SCRIPT_LINES]
    kind = command.kind
    if kind == "other":
        kinds = {classify(line) for line in lines if not line.startswith("export ")}
        kind = next((k for k in ("test", "lint", "build") if k in kinds), "other")
    return msgspec.structs.replace(command, script=tuple(lines), kind=kind)


def _read(system: str, text: str, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    """The pipeline's triggers and jobs; none when it does not parse."""
    if system == "jenkins":
        jenkins = importlib.import_module(f"{__name__}.jenkins")
        return jenkins.read(text, path)  # type: ignore[no-any-return]
    data: Any = load(text)
    if system not in READERS or not isinstance(data, YMap):
        return [], []
    reader: Read = importlib.import_module(f"{__name__}.{READERS[system]}").read
    return reader(data, path, tree)


def _implicit_cache(text: str) -> bool:
    """setup-go caches by default since v4, setup-uv (on GitHub's runners) since v5."""
    for action, since, disabled in _DEFAULT_CACHE:
        if disabled.search(text) is None and any(v >= since for v in action_majors(text, action)):
            return True
    return False


def action_majors(text: str, action: str) -> list[int]:
    """Major versions `action` is used at: `@v5`, `@v5.1.0`, or a commit SHA with its
    version in the comment (`@<sha> # v5.1.0`)."""
    pattern = re.escape(action) + r"@(?:v(\d+)|[0-9a-f]{40}\s+#\s*(?:tag=)?v?(\d+))"
    return [int(a or b) for a, b in re.findall(pattern, text)]


def update_tools(tree: Tree) -> list[Fact]:
    found: list[Fact] = []
    for name in (".github/dependabot.yml", ".github/dependabot.yaml"):
        if tree.has(name):
            found.append(Fact(name="dependabot", source=name))
            break
    for name in RENOVATE_FILES:
        if tree.has(name):
            found.append(Fact(name="renovate", source=name))
            break
    else:
        if tree.has("package.json") and "renovate" in load_json(tree, "package.json"):
            found.append(Fact(name="renovate", source="package.json"))
    return found
