"""Bitbucket Pipelines: every step of every pipeline as a job, and the pipelines' kinds
(default, branches, pull-requests, tags, custom) as triggers."""

from __future__ import annotations

from typing import Any

from libs.analysis.ci.jobs import image_of, image_runtimes, script_commands
from libs.analysis.located import YMap, get, items, line_of, mapping, text
from libs.analysis.report import CiJob, CiTrigger
from libs.analysis.tree import Tree


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    del tree  # the file says everything this reader needs
    pipelines = mapping(data.get("pipelines"))
    services = mapping(get(data, "definitions", "services"))
    default_image = image_of(data.get("image"))
    triggers: list[CiTrigger] = []
    jobs: dict[str, CiJob] = {}
    for kind, spec in pipelines.items():
        line = line_of(spec)
        if kind == "default":
            triggers.append(CiTrigger(event="push", line=line))
            _steps(spec, jobs, default_image, services)
            continue
        event = {"branches": "push", "pull-requests": "pull_request", "tags": "tag"}.get(
            kind, "manual"
        )
        branches = tuple(str(name) for name in mapping(spec)) if kind == "branches" else ()
        triggers.append(CiTrigger(event=event, branches=branches, line=line))
        for pipeline in mapping(spec).values():
            _steps(pipeline, jobs, default_image, services)
    return triggers, list(jobs.values())


def _steps(
    pipeline: Any, jobs: dict[str, CiJob], image: str | None, services: dict[str, Any]
) -> None:
    for entry in items(pipeline):
        entry = mapping(entry)
        parallel = entry.get("parallel")
        if parallel is not None:
            _steps(mapping(parallel).get("steps", parallel), jobs, image, services)
        step = mapping(entry.get("step"))
        if step:
            _job(step, jobs, image, services)
        stage = mapping(entry.get("stage"))
        if stage:
            _steps(stage.get("steps"), jobs, image, services)


def _job(
    step: dict[str, Any], jobs: dict[str, CiJob], image: str | None, services: dict[str, Any]
) -> None:
    name = text(step.get("name")) or f"step {len(jobs) + 1}"
    if name in jobs:
        return
    own_image = image_of(step.get("image")) or image
    job = CiJob(name=name, line=line_of(step))
    if own_image:
        job.image = own_image
        job.runtimes = image_runtimes([own_image], line_of(step.get("image")), set())
    for service in items(step.get("services")):
        service_image = image_of(mapping(services.get(text(service) or "")).get("image"))
        job.services.append(service_image or text(service) or "")
    job.commands = script_commands(step.get("script"), step="script")
    job.commands += script_commands(step.get("after-script"), step="after-script")
    jobs[name] = job
