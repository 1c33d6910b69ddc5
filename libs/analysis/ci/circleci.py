"""CircleCI: jobs with their executor (docker images, machine, macOS), the workflow matrix
of each job's parameters, `run` steps, orb steps, and the branch filters of workflows."""

from __future__ import annotations

import re
from typing import Any

from libs.analysis.ci.jobs import (
    CIRCLE_REF,
    Matrix,
    image_of,
    image_runtimes,
    script_commands,
    variables,
)
from libs.analysis.located import YMap, get, items, line_of, mapping, text, texts
from libs.analysis.report import CiJob, CiTrigger
from libs.analysis.tree import Tree

_PARAMETER = re.compile(r"<<\s*parameters\.([\w-]+)\s*>>")


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    del tree  # the file says everything this reader needs
    matrices, triggers = _workflows(mapping(data.get("workflows")))
    executors = mapping(data.get("executors"))
    jobs = [
        _job(str(name), job, matrices.get(str(name), Matrix()), executors, path)
        for name, job in mapping(data.get("jobs")).items()
        if isinstance(job, dict)
    ]
    return triggers, jobs


def _workflows(workflows: dict[str, Any]) -> tuple[dict[str, Matrix], list[CiTrigger]]:
    """Each job's matrix (from `matrix.parameters`) and the pipeline's triggers (a push to
    the branches the workflows' filters allow; none means every branch)."""
    matrices: dict[str, Matrix] = {}
    only: list[str] = []
    ignored: list[str] = []
    unfiltered = False
    line = line_of(workflows) if workflows else None
    for workflow in workflows.values():
        for entry in items(get(workflow, "jobs")):
            name, spec = _job_ref(entry)
            parameters = get(spec, "matrix", "parameters")
            if name and parameters is not None:
                matrices[name] = Matrix.from_mapping(parameters)
            branches = get(spec, "filters", "branches")
            if branches is None:
                unfiltered = True
            only.extend(texts(get(branches, "only")))
            ignored.extend(texts(get(branches, "ignore")))
    if unfiltered:
        only = []
    trigger = CiTrigger(
        event="push",
        branches=tuple(dict.fromkeys(only)),
        branches_ignore=tuple(dict.fromkeys(ignored)),
        line=line,
    )
    return matrices, [trigger]


def _job_ref(entry: Any) -> tuple[str | None, Any]:
    if isinstance(entry, dict) and len(entry) == 1:
        name, spec = next(iter(entry.items()))
        return str(name), spec
    return text(entry), None


def _job(
    name: str, job: dict[str, Any], matrix: Matrix, executors: dict[str, Any], path: str
) -> CiJob:
    executor: dict[str, Any] = job
    reference = job.get("executor")
    if reference is not None:
        executor_name = text(reference) or text(mapping(reference).get("name"))
        executor = mapping(executors.get(executor_name or "")) or job
    defaults = {
        str(k): text(mapping(v).get("default")) or ""
        for k, v in mapping(job.get("parameters")).items()
    }

    def render(value: str) -> list[str]:
        """A parameter the matrix sets takes each of its values, any other its default."""
        value = _PARAMETER.sub(
            lambda m: m.group(0) if m.group(1) in matrix.axes else defaults.get(m.group(1), ""),
            value,
        )
        return matrix.expand(value, CIRCLE_REF)

    images = [i for i in (image_of(d) for d in items(executor.get("docker"))) if i]
    result = CiJob(
        name=name,
        line=line_of(job),
        os=_os(executor),
        matrix=matrix.axes,
        env=variables(job.get("environment"), path),
    )
    if images:
        result.image = images[0]
        result.services = images[1:]
        result.runtimes.extend(
            image_runtimes(render(images[0]), line_of(executor.get("docker")), set())
        )
    result.runtimes.extend(matrix.runtimes({r.runtime for r in result.runtimes}))
    if reference is not None and executor is job:
        result.uses.append(text(reference) or text(mapping(reference).get("name")) or "executor")
    for step in items(job.get("steps")):
        _step(result, step, path)
    return result


def _os(executor: dict[str, Any]) -> list[str]:
    if "machine" in executor:
        machine = executor["machine"]
        return [text(mapping(machine).get("image")) or text(machine) or "machine"]
    if "macos" in executor:
        return ["macos " + (text(get(executor, "macos", "xcode")) or "")]
    if "windows" in executor:
        return ["windows"]
    return []


def _step(job: CiJob, step: Any, path: str) -> None:
    if isinstance(step, str):  # checkout, setup_remote_docker, or an orb command
        if "/" in step:
            job.uses.append(str(step))
        return
    if not isinstance(step, dict) or len(step) != 1:
        return
    kind, spec = next(iter(step.items()))
    if kind == "run":
        if isinstance(spec, dict):
            job.commands.extend(
                script_commands(
                    spec.get("command"),
                    step=text(spec.get("name")),
                    env=variables(spec.get("environment"), path),
                    directory=text(spec.get("working_directory")),
                    shell=text(spec.get("shell")),
                )
            )
        else:
            job.commands.extend(script_commands(spec))
    elif "/" in kind:
        job.uses.append(kind)
