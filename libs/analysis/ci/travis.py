"""Travis CI: the top-level job and each `jobs.include` entry (which inherits what it does
not set), runtimes from the language keys, `env` rows as the matrix, apt packages."""

from __future__ import annotations

import re
from typing import Any

from libs.analysis.ci.jobs import Matrix, branch_filters, script_commands, variables
from libs.analysis.located import YMap, get, items, line_of, text, texts
from libs.analysis.report import CiCommand, CiJob, CiRuntime, CiTrigger
from libs.analysis.tree import Tree

PHASES = (
    "before_install",
    "install",
    "before_script",
    "script",
    "after_success",
    "after_failure",
    "after_script",
)
RUNTIME_KEYS = {
    "python": "python",
    "node_js": "node",
    "go": "go",
    "jdk": "java",
    "rvm": "ruby",
    "php": "php",
    "elixir": "elixir",
    "otp_release": "otp",
    "dotnet": "dotnet",
    "mono": "mono",
    "rust": "rust",
    "dart": "dart",
    "julia": "julia",
}
_JDK = re.compile(r"^(?:openjdk|oraclejdk)(\d+)$")


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    del tree  # the file says everything this reader needs
    includes = [i for i in items(get(data, "jobs", "include") or get(data, "matrix", "include"))]
    jobs: list[CiJob] = []
    if not includes or any(key in data for key in (*PHASES, *RUNTIME_KEYS)):
        jobs.append(_job("travis", data, {}, path))
    for index, entry in enumerate(includes):
        if isinstance(entry, dict):
            name = text(entry.get("name")) or text(entry.get("stage")) or f"include {index + 1}"
            jobs.append(_job(name, entry, data, path))
    return branch_filters(data.get("branches")), jobs


def _job(name: str, own: dict[str, Any], top: dict[str, Any], path: str) -> CiJob:
    def setting(key: str) -> Any:
        return own[key] if key in own else top.get(key)

    env_value = setting("env")
    rows = [variables(_assignments(row), path) for row in _env_rows(env_value)]
    global_env = variables(_rows_env(get(env_value, "global")), path)
    matrix = Matrix.from_rows(r for r in rows if r)
    job = CiJob(
        name=name,
        line=line_of(own),
        os=texts(setting("os")) or [" ".join(["linux", *texts(setting("dist"))])],
        matrix={k: matrix.values(k) for k in dict.fromkeys(k for r in matrix.include for k in r)},
        env=global_env,
    )
    for axis in ("compiler", "arch"):  # Travis expands these like the runtime keys
        if texts(setting(axis)):
            job.matrix[axis] = texts(setting(axis))
    for key, runtime in RUNTIME_KEYS.items():
        versions = [_jdk(v) if key == "jdk" else v for v in texts(setting(key))]
        if versions:
            job.runtimes.append(
                CiRuntime(
                    runtime=runtime,
                    versions=tuple(versions),
                    source=key,
                    line=line_of(setting(key)),
                )
            )
    job.runtimes.extend(matrix.runtimes({r.runtime for r in job.runtimes}))
    job.services = texts(setting("services"))
    import shlex  # here: only a .travis.yml needs it

    packages = texts(get(setting("addons"), "apt", "packages")) or texts(
        get(setting("addons"), "apt")
    )
    if packages:
        run = "sudo apt-get install -y " + " ".join(shlex.quote(p) for p in packages)
        job.commands.append(
            CiCommand(
                run=run,
                kind="setup",
                line=line_of(get(setting("addons"), "apt")),
                step="addons.apt",
            )
        )
    for phase in PHASES:
        job.commands.extend(script_commands(setting(phase), step=phase))
    return job


def _env_rows(value: Any) -> list[str]:
    """`env: [A=1 B=2, ...]`, or `env: {matrix|jobs: [...]}`: one matrix row per item."""
    if isinstance(value, dict):
        value = value.get("matrix") or value.get("jobs")
    return [t for t in (text(i) for i in items(value) if isinstance(i, str)) if t]


def _rows_env(value: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items(value):
        if isinstance(item, str):
            found.update(_assignments(item))
        elif isinstance(item, dict):
            found.update({str(k): text(v) or "" for k, v in item.items()})
    return found


def _assignments(row: str) -> dict[str, str]:
    import shlex

    try:
        words = shlex.split(row)
    except ValueError:
        words = row.split()
    pairs = (word.partition("=") for word in words)
    return {name: value for name, sep, value in pairs if sep and name.isidentifier()}


def _jdk(value: str) -> str:
    match = _JDK.match(value)
    return match.group(1) if match else value
