"""AppVeyor (`appveyor.yml`, `.appveyor.yml`): images, the environment matrix, `stack`
runtimes, and the commands of each phase (`cmd`, `ps`, `pwsh` and `sh` items)."""

from __future__ import annotations

import re
from typing import Any

from libs.analysis.ci.jobs import Matrix, branch_filters, script_commands, variables
from libs.analysis.located import YMap, get, items, line_of, mapping, text, texts
from libs.analysis.report import CiJob, CiRuntime, CiTrigger
from libs.analysis.tree import Tree

PHASES = (
    "init",
    "install",
    "before_build",
    "build_script",
    "after_build",
    "before_test",
    "test_script",
    "after_test",
    "on_success",
    "on_failure",
    "on_finish",
)
SHELLS = {"cmd": "cmd", "ps": "powershell", "pwsh": "pwsh", "sh": "bash"}
# `C:\Python38-x64` is Python 3.8: AppVeyor matrices name interpreters by their folder
_PYTHON_FOLDER = re.compile(r"python(\d)(\d+)", re.I)
_STACK = re.compile(r"^\s*(\w+)\s+(\S+)")
STACK_RUNTIMES = {
    "node": "node",
    "nodejs": "node",
    "python": "python",
    "go": "go",
    "jdk": "java",
    "ruby": "ruby",
    "php": "php",
    "dotnet": "dotnet",
}


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    del tree  # the file says everything this reader needs
    environment = data.get("environment")
    rows = [variables(row, path) for row in items(get(environment, "matrix"))]
    matrix = Matrix.from_rows(r for r in rows if r)
    job = CiJob(
        name="appveyor",
        line=line_of(data),
        os=texts(data.get("image")) or texts(data.get("os")),
        matrix={k: matrix.values(k) for k in dict.fromkeys(k for r in matrix.include for k in r)},
        env=variables(_global(environment), path),
    )
    job.runtimes.extend(_stack(data.get("stack")))
    for runtime in matrix.runtimes({r.runtime for r in job.runtimes}):
        versions = runtime.versions
        if runtime.runtime == "python":
            versions = tuple(dict.fromkeys(_python_folder(v) for v in versions))
        job.runtimes.append(
            CiRuntime(runtime=runtime.runtime, versions=versions, source=runtime.source)
        )
    for phase in PHASES:
        for item in items(data.get(phase)):
            if isinstance(item, dict):  # {ps: ...}, {cmd: ...}: the key says the shell
                for key, shell in SHELLS.items():
                    if key in item:
                        job.commands.extend(script_commands(item[key], step=phase, shell=shell))
            else:
                job.commands.extend(script_commands(item, step=phase))
    return branch_filters(data.get("branches")), [job]


def _global(environment: Any) -> Any:
    """`environment:` holds variables, or `global:` and `matrix:` sections."""
    sections = mapping(environment)
    if "global" in sections or "matrix" in sections:
        return sections.get("global")
    return environment


def _stack(value: Any) -> list[CiRuntime]:
    """`stack: node 18, python 3.9` on AppVeyor's Linux and macOS images."""
    found: list[CiRuntime] = []
    for part in (text(value) or "").split(","):
        match = _STACK.match(part)
        if match and match.group(1).lower() in STACK_RUNTIMES:
            runtime = STACK_RUNTIMES[match.group(1).lower()]
            found.append(
                CiRuntime(
                    runtime=runtime, versions=(match.group(2),), source="stack", line=line_of(value)
                )
            )
    return found


def _python_folder(value: str) -> str:
    match = _PYTHON_FOLDER.search(value)
    return f"{match.group(1)}.{match.group(2)}" if match else value
