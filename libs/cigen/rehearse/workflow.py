"""A GitHub Actions workflow as the rehearsal reads it: its jobs in an order that respects
`needs`, and each job's matrix expanded into combinations the way GitHub expands it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from libs.cigen.validate.schema import YamlSyntaxError, parse_yaml


class BadWorkflow(ValueError):
    """The file is not a workflow the rehearsal can read (exit code 2)."""


def load(content: str) -> dict[str, Any]:
    try:
        document = parse_yaml(content)
    except YamlSyntaxError as exc:
        raise BadWorkflow(f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
        raise BadWorkflow("not a GitHub Actions workflow: no `jobs:` mapping")
    for job_id, job in document["jobs"].items():
        if not isinstance(job, dict):
            raise BadWorkflow(f"job {job_id!r} is not a mapping")
        if "uses" in job:
            continue  # a reusable workflow call: reported, not run
        if not isinstance(job.get("steps"), list):
            raise BadWorkflow(f"job {job_id!r} has no list of steps")
    return document


def needs(job: Mapping[str, Any]) -> list[str]:
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def order(jobs: Mapping[str, Any]) -> list[str]:
    """Job ids so that each comes after the jobs it needs (file order otherwise)."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(job_id: str) -> None:
        if job_id in done:
            return
        if job_id in visiting:
            raise BadWorkflow(f"jobs need each other in a cycle through {job_id!r}")
        if job_id not in jobs:
            raise BadWorkflow(f"a job needs {job_id!r}, which the workflow does not define")
        visiting.add(job_id)
        for needed in needs(jobs[job_id]):
            visit(needed)
        visiting.discard(job_id)
        done.append(job_id)

    for job_id in jobs:
        visit(str(job_id))
    return done


def expand_matrix(matrix: Any) -> list[dict[str, Any]]:
    """The combinations of a (resolved) `strategy.matrix`; [{}] without one.

    GitHub's rules: the product of the plain keys, minus every combination an `exclude`
    entry matches (on the keys it names), then each `include` entry is added to every
    combination whose original values it does not overwrite, or becomes one of its own.
    """
    if matrix is None:
        return [{}]
    if not isinstance(matrix, dict):
        raise BadWorkflow("strategy.matrix is not a mapping")
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    for key, values in axes.items():
        if not isinstance(values, list):
            raise BadWorkflow(f"matrix key {key!r} is not a list")
    combos: list[dict[str, Any]] = []
    if axes:
        combos = [dict(zip(axes, vs, strict=True)) for vs in itertools.product(*axes.values())]
    for rule in matrix.get("exclude") or []:
        if isinstance(rule, dict):
            combos = [c for c in combos if not all(_same(c.get(k), v) for k, v in rule.items())]
    return _include(combos, matrix.get("include") or []) or [{}]


def _include(combos: list[dict[str, Any]], includes: list[Any]) -> list[dict[str, Any]]:
    # Only the product's combinations take includes; one an include created stays its own.
    originals = [dict(c) for c in combos]
    product = list(combos)
    for extra in includes:
        if not isinstance(extra, dict):
            continue
        added = False
        for combo, original in zip(product, originals, strict=True):
            if all(k not in original or _same(original[k], v) for k, v in extra.items()):
                combo.update(extra)
                added = True
        if not added:
            combos.append(dict(extra))
    return combos


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return bool(left == right)
    return str(left) == str(right)
