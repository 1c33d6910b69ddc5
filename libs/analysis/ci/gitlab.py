"""GitLab CI: local includes, `extends`, `!reference`, defaults, parallel matrices,
images as runtimes, and the pipeline's triggers from `workflow:rules`."""

from __future__ import annotations

import itertools
import re
from typing import Any

from libs.analysis.ci.jobs import (
    MAX_ROWS,
    SHELL_REF,
    Matrix,
    image_of,
    image_runtimes,
    script_commands,
    variables,
)
from libs.analysis.located import YList, YMap, get, items, line_of, load, mapping, text
from libs.analysis.report import CiJob, CiTrigger
from libs.analysis.tree import Tree

RESERVED = frozenset(
    {
        "image",
        "services",
        "stages",
        "types",
        "before_script",
        "after_script",
        "variables",
        "cache",
        "include",
        "workflow",
        "default",
        "spec",
    }
)
MAX_INCLUDES = 20
_BRANCH_RULE = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*['\"]?([^'\"\s)]+)")
_PUSH_RULE = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)|\$CI_PIPELINE_SOURCE\s*==\s*['\"]push")


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    doc = _with_includes(data, tree)
    defaults = mapping(doc.get("default"))
    inherited = {
        key: doc.get(key, defaults.get(key))
        for key in ("image", "services", "before_script", "after_script")
    }
    env = variables(doc.get("variables"), path)
    jobs: list[CiJob] = []
    for name, raw in doc.items():
        if name in RESERVED or name.startswith(".") or not isinstance(raw, dict):
            continue
        job = _extended(raw, doc, 0)
        if "script" not in job and "trigger" not in job:
            continue
        jobs.append(_job(name, job, doc, inherited, env, path))
    return _triggers(get(doc, "workflow", "rules")), jobs


def _with_includes(data: YMap, tree: Tree) -> YMap:
    """The document with the top-level keys of its local includes (its own keys win)."""
    merged = YMap(data)
    merged.line = data.line
    for entry in items(data.get("include"))[:MAX_INCLUDES]:
        local = text(entry) if isinstance(entry, str) else text(mapping(entry).get("local"))
        if not local or "://" in local or "*" in local:
            continue  # remote, project, template and component includes are not in the tree
        included = load(tree.read_text(local.lstrip("/")) or "")
        for key, value in mapping(included).items():
            merged.setdefault(key, value)
    return merged


def _extended(job: dict[str, Any], doc: YMap, depth: int) -> dict[str, Any]:
    """`job` with the jobs it `extends` merged under it (GitLab merges mappings deeply
    and replaces lists)."""
    bases = [text(b) for b in items(job.get("extends"))]
    if not bases or depth > 10:
        return job
    result: dict[str, Any] = {}
    for base in bases:
        parent = doc.get(base) if base else None
        if isinstance(parent, dict):
            result = _deep_merge(result, _extended(parent, doc, depth + 1))
    merged = YMap(_deep_merge(result, job))
    merged.line = getattr(job, "line", 0)
    return merged


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        if key == "extends":
            continue
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            merged = YMap(_deep_merge(result[key], value))
            merged.line = getattr(value, "line", 0)
            result[key] = merged
        else:
            result[key] = value
    return result


def _references(script: Any, doc: YMap) -> list[Any]:
    """A script with `!reference [.job, script]` items replaced by what they point at."""
    found: list[Any] = []
    for item in items(script):
        if isinstance(item, YList) and item.tag == "!reference":
            keys = [text(k) or "" for k in item]
            found.extend(items(get(doc, *keys)))
        elif isinstance(item, list):
            found.extend(item)  # GitLab flattens nested script lists
        else:
            found.append(item)
    return found


def _job(
    name: str,
    job: dict[str, Any],
    doc: YMap,
    inherited: dict[str, Any],
    env: dict[str, str],
    path: str,
) -> CiJob:
    own_env = {**env, **variables(job.get("variables"), path)}
    matrix = _matrix(get(job, "parallel", "matrix"))
    result = CiJob(
        name=name,
        line=line_of(job),
        matrix={
            key: matrix.values(key) for key in dict.fromkeys(k for r in matrix.include for k in r)
        },
        env=own_env,
    )
    image = image_of(job.get("image", inherited["image"]))
    used: set[str] = set()
    if image:
        result.image = image
        images = matrix.expand(_substitute(image, own_env), SHELL_REF)
        result.runtimes.extend(image_runtimes(images, line_of(job.get("image")), used))
    result.runtimes.extend(matrix.runtimes(used))
    for service in items(job.get("services", inherited["services"])):
        service_image = image_of(service)
        if service_image:
            result.services.append(_substitute(service_image, own_env))
    for key in ("before_script", "script", "after_script"):
        script = job.get(key, inherited.get(key)) if key != "script" else job.get(key)
        result.commands.extend(script_commands(_references(script, doc), step=key))
    trigger = job.get("trigger")
    if trigger is not None:
        result.uses.append(text(trigger) or text(mapping(trigger).get("include")) or "trigger")
    return result


def _matrix(value: Any) -> Matrix:
    """`parallel:matrix`: each entry is the product of its own variables' values."""
    rows: list[dict[str, str]] = []
    for entry in items(value):
        entry = mapping(entry)
        names = list(entry)
        values = [[text(v) or "" for v in items(entry[n])] for n in names]
        for combo in itertools.islice(itertools.product(*values), MAX_ROWS):
            rows.append(dict(zip(names, combo, strict=True)))
    return Matrix.from_rows(rows)


def _substitute(value: str, env: dict[str, str]) -> str:
    def lookup(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g is not None)
        return env.get(name, match.group(0))

    return SHELL_REF.sub(lookup, value)


def _triggers(rules: Any) -> list[CiTrigger]:
    """What `workflow:rules` lets run, as far as their `if:` clauses say; without rules
    GitLab runs a pipeline on every push."""
    if not isinstance(rules, list):
        return [CiTrigger(event="push")]
    found: dict[str, set[str]] = {}
    for rule in rules:
        condition = text(mapping(rule).get("if")) or ""
        if text(mapping(rule).get("when")) == "never" or not condition:
            continue
        if "merge_request_event" in condition:
            found.setdefault("pull_request", set())
        if "$CI_COMMIT_TAG" in condition:
            found.setdefault("tag", set())
        if '"schedule"' in condition or "'schedule'" in condition:
            found.setdefault("schedule", set())
        if _PUSH_RULE.search(condition):
            found.setdefault("push", set()).update(_BRANCH_RULE.findall(condition))
    line = line_of(rules)
    return [
        CiTrigger(event=event, branches=tuple(sorted(b)), line=line) for event, b in found.items()
    ]
