"""GitHub Actions workflows, parsed just enough for the Scorecard-style checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from libs.analysis.parsing import dig, listing, load_yaml, mapping
from libs.analysis.tree import Tree

SHA_PIN = re.compile(r"@[0-9a-f]{40}$")
# Event fields an outsider controls; expanded into `run:` they execute as shell code.
UNTRUSTED_INPUT = re.compile(
    r"\$\{\{\s*github\.(?:event\.(?:issue\.(?:title|body)|pull_request\.(?:title|body|head\.ref"
    r"|head\.label|head\.repo\.default_branch)|comment\.body|review\.body|review_comment\.body"
    r"|pages\.[^.}]*\.page_name|commits\.[^}]*\.(?:message|author\.(?:email|name))"
    r"|head_commit\.(?:message|author\.(?:email|name))|workflow_run\.(?:head_branch"
    r"|head_commit\.message|display_title))|head_ref)\s*\}\}"
)
PR_HEAD = re.compile(
    r"github\.event\.(?:pull_request\.head\.(?:sha|ref)|workflow_run\.head_(?:sha|branch))"
    r"|refs/pull/"
)


@dataclass
class Step:
    uses: str | None
    run: str | None
    with_: dict[str, Any]
    line: int | None = None


@dataclass
class Job:
    name: str
    permissions: Any
    steps: list[Step] = field(default_factory=list)
    uses: str | None = None  # a reusable workflow call


@dataclass
class Workflow:
    path: str
    text: str
    events: set[str]
    permissions: Any  # None when the workflow does not declare them
    jobs: list[Job]

    def line_of(self, needle: str) -> int | None:
        index = self.text.find(needle)
        return self.text.count("\n", 0, index) + 1 if index >= 0 else None


def load_workflows(tree: Tree) -> list[Workflow]:
    workflows: list[Workflow] = []
    for entry in tree.files:
        if not entry.path.startswith(".github/workflows/"):
            continue
        if not entry.name.endswith((".yml", ".yaml")):
            continue
        data = load_yaml(tree, entry.path)
        if not isinstance(data, dict):
            continue
        workflows.append(_workflow(entry.path, tree.read_text(entry.path) or "", data))
    return workflows


def _workflow(path: str, text: str, data: dict[Any, Any]) -> Workflow:
    # YAML 1.1 reads the key `on` as the boolean True
    trigger = data.get("on", data.get(True))
    if isinstance(trigger, str):
        events = {trigger}
    elif isinstance(trigger, list):
        events = {str(e) for e in trigger}
    elif isinstance(trigger, dict):
        events = {str(e) for e in trigger}
    else:
        events = set()
    jobs: list[Job] = []
    for name, spec in mapping(data.get("jobs")).items():
        if not isinstance(spec, dict):
            continue
        steps = [
            Step(
                uses=step.get("uses") if isinstance(step.get("uses"), str) else None,
                run=step.get("run") if isinstance(step.get("run"), str) else None,
                with_=_mapping(step.get("with")),
            )
            for step in listing(spec.get("steps"))
            if isinstance(step, dict)
        ]
        uses = spec.get("uses") if isinstance(spec.get("uses"), str) else None
        jobs.append(Job(str(name), spec.get("permissions"), steps, uses))
    return Workflow(path, text, events, data.get("permissions"), jobs)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_pinned(uses: str) -> bool:
    """Local actions and digests are pinned; so is a full commit SHA."""
    if uses.startswith("./"):
        return True
    if uses.startswith("docker://"):
        return "@sha256:" in uses
    return SHA_PIN.search(uses) is not None


def writes(permissions: Any) -> list[str]:
    """The scopes a permissions block grants write access to ("all" for write-all)."""
    if permissions == "write-all":
        return ["all"]
    if isinstance(permissions, dict):
        return sorted(str(k) for k, v in permissions.items() if v == "write")
    return []


def checks_out_pr_head(step: Step) -> bool:
    if not step.uses or not step.uses.startswith("actions/checkout"):
        return False
    ref = dig(step.with_, "ref")
    return isinstance(ref, str) and PR_HEAD.search(ref) is not None
