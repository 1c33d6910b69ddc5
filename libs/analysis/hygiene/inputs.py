"""What every check reads: the tree and the other analysers' results."""

from __future__ import annotations

from dataclasses import dataclass, field

from libs.analysis.hygiene.actions import Workflow, load_workflows
from libs.analysis.report import (
    Category,
    Check,
    CheckStatus,
    CiInfo,
    Evidence,
    SecretsResult,
    Stack,
    WorkflowSecurity,
)
from libs.analysis.tree import Tree


@dataclass
class Inputs:
    tree: Tree
    stack: Stack
    ci: CiInfo
    secrets: SecretsResult
    workflow_security: WorkflowSecurity
    workflows: list[Workflow] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        tree: Tree,
        stack: Stack,
        ci: CiInfo,
        secrets: SecretsResult,
        workflow_security: WorkflowSecurity,
    ) -> Inputs:
        return cls(tree, stack, ci, secrets, workflow_security, load_workflows(tree))

    def find_doc(self, *stems: str) -> str | None:
        """A file named like `stems` (any case and extension) in the root, .github/ or docs/."""
        wanted = {s.lower() for s in stems}
        for directory in (".", ".github", "docs"):
            for entry in self.tree.in_dir(directory):
                stem = entry.name.lower().split(".", 1)[0]
                if stem in wanted:
                    return entry.path
        return None


def check(
    id: str,
    category: Category,
    weight: int,
    status: CheckStatus,
    message: str,
    *,
    score: float | None = None,
    evidence: list[Evidence] | None = None,
    fix: str | None = None,
) -> Check:
    """A Check whose score follows from its status unless given (partial needs one)."""
    if score is None:
        score = {"pass": 1.0, "partial": 0.5}.get(status, 0.0)
    return Check(
        id=id,
        category=category,
        status=status,
        weight=weight,
        score=round(score, 3),
        message=message,
        evidence=evidence or [],
        fix=fix if status in ("fail", "partial") else None,
    )


def absent(detail: str) -> list[Evidence]:
    """Evidence for something missing: the repository root, and what was looked for."""
    return [Evidence(path=".", detail=detail)]


def ratio_status(good: int, total: int) -> CheckStatus:
    if good == total:
        return "pass"
    return "fail" if good == 0 else "partial"
