"""Azure Pipelines: stages, jobs and steps (or a pipeline of steps), pools, matrix legs,
variables, the runtimes of `Use*` tasks and the commands of script steps and of the
build tasks that run one (DotNetCoreCLI, Maven, Gradle, Npm)."""

from __future__ import annotations

from typing import Any

from libs.analysis.ci.commands import classify
from libs.analysis.ci.jobs import AZURE_REF, Matrix, add_runtime, script_commands, variables
from libs.analysis.located import YMap, get, items, line_of, mapping, text, texts
from libs.analysis.report import CiCommand, CiJob, CiRuntime, CiTrigger
from libs.analysis.tree import Tree

SCRIPT_KEYS = {"script": None, "bash": "bash", "pwsh": "pwsh", "powershell": "powershell"}
# task -> (input holding the version, runtime)
VERSION_TASKS = {
    "UsePythonVersion": ("versionSpec", "python"),
    "NodeTool": ("versionSpec", "node"),
    "UseNode": ("version", "node"),
    "UseDotNet": ("version", "dotnet"),
    "GoTool": ("version", "go"),
    "JavaToolInstaller": ("versionSpec", "java"),
    "UseRubyVersion": ("versionSpec", "ruby"),
}
# tasks whose inputs hold an inline script
SCRIPT_TASKS = {
    "CmdLine": ("script", "cmd"),
    "Bash": ("script", "bash"),
    "PowerShell": ("script", "powershell"),
}


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    del tree  # the file says everything this reader needs
    env = _variables(data.get("variables"), path)
    pool = data.get("pool")
    jobs: list[CiJob] = []
    for stage in items(data.get("stages")) or [data]:
        stage = mapping(stage)
        stage_env = {**env, **_variables(stage.get("variables"), path)}
        listed = items(stage.get("jobs"))
        if not listed and "steps" in stage:
            listed = [stage]
        for job in listed:
            if isinstance(job, dict) and "steps" in job:
                jobs.append(_job(job, stage_env, job.get("pool", stage.get("pool", pool)), path))
    return _triggers(data), jobs


def _triggers(data: YMap) -> list[CiTrigger]:
    found: list[CiTrigger] = []
    for key, event in (("trigger", "push"), ("pr", "pull_request")):
        value = data.get(key)
        if text(value) == "none":
            continue
        branches = get(value, "branches") if isinstance(value, dict) else value
        include = texts(get(branches, "include")) if isinstance(branches, dict) else texts(branches)
        exclude = texts(get(branches, "exclude"))
        found.append(
            CiTrigger(
                event=event,
                branches=tuple(include),
                branches_ignore=tuple(exclude),
                line=line_of(value),
            )
        )
    return found


def _variables(value: Any, path: str) -> dict[str, str]:
    """A mapping, or a list of `{name, value}` items (groups and templates skipped)."""
    if isinstance(value, list):
        pairs = {text(get(v, "name")) or "": get(v, "value") for v in value if isinstance(v, dict)}
        return variables({k: v for k, v in pairs.items() if k}, path)
    return variables(value, path)


def _job(job: dict[str, Any], env: dict[str, str], pool: Any, path: str) -> CiJob:
    legs = mapping(get(job, "strategy", "matrix"))
    matrix = Matrix.from_rows(
        variables(leg, path) for leg in legs.values() if isinstance(leg, dict)
    )
    env = {**env, **_variables(job.get("variables"), path)}
    vm = text(get(pool, "vmImage")) or text(pool) or text(get(pool, "name"))
    result = CiJob(
        name=text(job.get("job"))
        or text(job.get("deployment"))
        or text(job.get("displayName"))
        or "steps",
        line=line_of(job),
        os=matrix.expand(vm, AZURE_REF) if vm else [],
        matrix={k: matrix.values(k) for k in dict.fromkeys(k for r in matrix.include for k in r)},
        env=env,
    )
    container = text(job.get("container")) or text(get(job, "container", "image"))
    if container:
        result.image = container
    for step in items(job.get("steps")):
        if isinstance(step, dict):
            _step(result, step, matrix, path)
    result.runtimes.extend(matrix.runtimes({r.runtime for r in result.runtimes}))
    return result


def _step(job: CiJob, step: dict[str, Any], matrix: Matrix, path: str) -> None:
    name = text(step.get("displayName"))
    env = variables(step.get("env"), path)
    directory = text(step.get("workingDirectory"))
    for key, shell in SCRIPT_KEYS.items():
        if key in step:
            job.commands.extend(
                script_commands(step[key], step=name, env=env, directory=directory, shell=shell)
            )
    task = text(step.get("task"))
    if not task:
        if "template" in step:
            job.uses.append(f"template: {text(step['template'])}")
        return
    job.uses.append(task)
    kind = task.partition("@")[0]
    inputs = mapping(step.get("inputs"))
    if kind in VERSION_TASKS:
        key, runtime = VERSION_TASKS[kind]
        version = text(inputs.get(key))
        if version:
            versions = tuple(dict.fromkeys(matrix.expand(version, AZURE_REF)))
            add_runtime(
                job.runtimes,
                CiRuntime(
                    runtime=runtime, versions=versions, source=task, line=line_of(inputs.get(key))
                ),
            )
    if kind in SCRIPT_TASKS:
        key, shell = SCRIPT_TASKS[kind]
        job.commands.extend(
            script_commands(inputs.get(key), step=name or task, env=env, shell=shell)
        )
    command = _task_command(kind, inputs)
    if command:
        job.commands.append(
            CiCommand(
                run=command, kind=classify(command), line=line_of(step), step=name or task, env=env
            )
        )


def _task_command(kind: str, inputs: dict[str, Any]) -> str | None:
    """The command a build task runs, written as it would be typed."""

    def value(key: str) -> str:
        return text(inputs.get(key)) or ""

    if kind == "DotNetCoreCLI":
        verb = value("command") or "build"
        if verb == "custom":
            verb = value("custom")
        return " ".join(p for p in ("dotnet", verb, value("projects"), value("arguments")) if p)
    if kind == "Maven":
        goals = value("goals") or "package"
        return " ".join(
            p
            for p in ("mvn", "-f", value("mavenPomFile") or "pom.xml", goals, value("options"))
            if p
        )
    if kind == "Gradle":
        wrapper = value("gradleWrapperFile") or "gradlew"
        return " ".join(
            p for p in (f"./{wrapper}", value("tasks") or "build", value("options")) if p
        )
    if kind == "Npm":
        verb = value("command") or "install"
        return "npm " + (value("customCommand") if verb == "custom" else verb)
    return None
