"""Minimal repositories for the failure classes seen on real ones (issue 13): each test
writes the few files that make the class appear, runs the real analysis and generation,
and reads the workflow back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libs.analysis import analyze
from libs.cigen import Generation, generate
from libs.cigen.validate.schema import parse_yaml
from tests.unit.analysis.conftest import write_tree


@dataclass
class Generated:
    generation: Generation
    workflow: dict[str, Any]

    @property
    def jobs(self) -> dict[str, Any]:
        jobs: dict[str, Any] = self.workflow["jobs"]
        return jobs

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.jobs[job_id]
        return job

    def runs(self, job_id: str) -> list[str]:
        """The shell commands of a job, in order."""
        return [s["run"] for s in self.job(job_id)["steps"] if "run" in s]

    def uses(self, job_id: str) -> list[str]:
        """The actions a job uses, without their pins."""
        return [s["uses"].split("@")[0] for s in self.job(job_id)["steps"] if "uses" in s]

    def step(self, job_id: str, action: str) -> dict[str, Any]:
        found: dict[str, Any] = next(
            s for s in self.job(job_id)["steps"] if s.get("uses", "").startswith(action + "@")
        )
        return found

    @property
    def notes(self) -> list[str]:
        return self.generation.notes


def generated(root: Path, files: Mapping[str, str | bytes], **options: Any) -> Generated:
    """Analyse the tree `files` written at `root` and generate its GitHub workflow; it
    must pass every validator (schema, policy, zizmor, actionlint)."""
    report = analyze(write_tree(root, dict(files)))
    generation = generate(report, code_scanning=False, **options)
    assert generation.validation.findings == [], generation.validation.findings
    assert generation.valid
    return Generated(generation, parse_yaml(generation.content))
