"""What a rehearsal reports: one `Rehearsal` with a `JobResult` per job (and matrix
combination) and a `StepResult` per step. `msgspec.json.encode(rehearsal)` is the
`--format json` output."""

from __future__ import annotations

from typing import Literal

import msgspec

# passed: ran and exited 0. failed: ran and exited non-zero (or timed out).
# skipped: not run, by design (its `if:` was false, an earlier step failed, a cache action).
# not_rehearsed: not run because the rehearsal cannot run it faithfully here (`reason`).
StepStatus = Literal["passed", "failed", "skipped", "not_rehearsed"]
# partial: every step that ran passed, but some were not rehearsed.
JobStatus = Literal["passed", "failed", "partial", "skipped", "not_rehearsed"]


class StepResult(msgspec.Struct, kw_only=True):
    name: str
    status: StepStatus
    kind: Literal["run", "uses"]
    reason: str = ""  # why failed, skipped or not rehearsed; what stood in for an action
    exit_code: int | None = None  # for steps that ran
    seconds: float | None = None
    output_tail: str = ""  # the last lines of a failed step's output
    continue_on_error: bool = False
    # With --as-of: for each package manager the script names, whether its resolution
    # was dated and, if not, why ("pip 23.2.1 NOT dated: ...; npm dated (...)").
    dating: str = ""


class JobResult(msgspec.Struct, kw_only=True):
    id: str  # the key under `jobs:`
    name: str  # its display name, expressions evaluated where they could be
    status: JobStatus
    matrix: dict[str, object] = {}
    reason: str = ""  # why the whole job was skipped or not rehearsed
    # What stood in for the runner: toolchains and their versions, servers for service
    # containers, a runtime of another minor or patch version than asked for.
    substitutions: list[str] = []
    steps: list[StepResult] = []
    seconds: float = 0.0


class Rehearsal(msgspec.Struct, kw_only=True):
    workflow: str  # the file rehearsed, or "generated"
    root: str  # the checkout that was copied
    event: str  # the event the rehearsal pretends to be (github.event_name)
    jobs: list[JobResult] = []
    kept: str | None = None  # the throwaway directory, when --keep left it in place
    # --as-of: package managers resolved as of this UTC date-time (ISO), not today;
    # as_of_origin says where it came from ("given", "committer date of <sha>").
    as_of: str | None = None
    as_of_origin: str = ""

    @property
    def failed(self) -> bool:
        return any(job.status == "failed" for job in self.jobs)
