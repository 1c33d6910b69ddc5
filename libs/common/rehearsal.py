"""What a rehearsal reports (`autodevops ci rehearse --format json`), and how much of it
the API stores: the CLI writes these structs, the api decodes an uploaded report into
them (the bounds apply on decoding), the dashboard shows them. The rehearsal itself lives
in libs/cigen/rehearse and runs only on a user's machine."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

import msgspec

# passed: ran and exited 0. failed: ran and exited non-zero (or timed out).
# skipped: not run, by design (its `if:` was false, an earlier step failed, a cache action).
# not_rehearsed: not run because the rehearsal cannot run it faithfully here (`reason`).
StepStatus = Literal["passed", "failed", "skipped", "not_rehearsed"]
# partial: every step that ran passed, but some were not rehearsed.
JobStatus = Literal["passed", "failed", "partial", "skipped", "not_rehearsed"]

# An uploaded report's limits: generous for any real workflow (a rehearsal keeps the last
# 40 lines of a failed step), small enough that a stored report stays a few hundred KiB.
MAX_TEXT = 2000
MAX_OUTPUT_TAIL = 16_000
MAX_JOBS = 256
MAX_STEPS = 256
MAX_SUBSTITUTIONS = 64

Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
# A matrix combination's value as the report keeps it: a scalar, or the JSON text of a
# list or mapping (an `include` entry can set one), so the document can bound every string.
MatrixValue = Text | int | float | bool | None


def matrix_of(combo: dict[str, object]) -> dict[str, MatrixValue]:
    return {
        key: value
        if value is None or isinstance(value, str | int | float | bool)
        else msgspec.json.encode(value).decode()
        for key, value in combo.items()
    }


Seconds = Annotated[float, msgspec.Meta(ge=0)]


class StepResult(msgspec.Struct, kw_only=True):
    name: Text
    status: StepStatus
    kind: Literal["run", "uses"]
    reason: Text = ""  # why failed, skipped or not rehearsed; what stood in for an action
    # For steps that ran (a negative one: killed by that signal).
    exit_code: Annotated[int, msgspec.Meta(ge=-255, le=255)] | None = None
    seconds: Seconds | None = None
    # The last lines of a failed step's output.
    output_tail: Annotated[str, msgspec.Meta(max_length=MAX_OUTPUT_TAIL)] = ""
    continue_on_error: bool = False
    # With --as-of: for each package manager the script names, whether its resolution
    # was dated and, if not, why ("pip 23.2.1 NOT dated: ...; npm dated (...)").
    dating: Text = ""


class JobResult(msgspec.Struct, kw_only=True):
    id: Text  # the key under `jobs:`
    name: Text  # its display name, expressions evaluated where they could be
    status: JobStatus
    matrix: Annotated[dict[Text, MatrixValue], msgspec.Meta(max_length=32)] = {}
    reason: Text = ""  # why the whole job was skipped or not rehearsed
    # What stood in for the runner: toolchains and their versions, servers for service
    # containers, a runtime of another minor or patch version than asked for.
    substitutions: Annotated[list[Text], msgspec.Meta(max_length=MAX_SUBSTITUTIONS)] = []
    steps: Annotated[list[StepResult], msgspec.Meta(max_length=MAX_STEPS)] = []
    seconds: Seconds = 0.0


class Rehearsal(msgspec.Struct, kw_only=True):
    workflow: Text  # the file rehearsed, or "generated"
    root: Text  # the checkout that was copied
    event: Text  # the event the rehearsal pretends to be (github.event_name)
    jobs: Annotated[list[JobResult], msgspec.Meta(max_length=MAX_JOBS)] = []
    kept: Text | None = None  # the throwaway directory, when --keep left it in place
    # --as-of: package managers resolved as of this UTC date-time (ISO), not today;
    # as_of_origin says where it came from ("given", "committer date of <sha>").
    as_of: Text | None = None
    as_of_origin: Text = ""

    @property
    def failed(self) -> bool:
        return any(job.status == "failed" for job in self.jobs)

    @property
    def outcome(self) -> Literal["passed", "failed", "partial", "not_rehearsed"]:
        """One word for the whole rehearsal, as a job's status says it for a job."""
        statuses = {job.status for job in self.jobs}
        if "failed" in statuses:
            return "failed"
        if statuses <= {"not_rehearsed", "skipped"}:
            return "not_rehearsed"
        if statuses & {"partial", "not_rehearsed"}:
            return "partial"
        return "passed"


def fit_for_upload(rehearsal: Rehearsal) -> Rehearsal:
    """The report within the API's limits: each output tail cut to its last characters
    (the end of a failed step's output is what tells why)."""
    jobs = [
        msgspec.structs.replace(
            job,
            steps=[
                msgspec.structs.replace(step, output_tail=step.output_tail[-MAX_OUTPUT_TAIL:])
                for step in job.steps
            ],
        )
        for job in rehearsal.jobs
    ]
    return msgspec.structs.replace(rehearsal, jobs=jobs)


def workflow_digest(content: str) -> str:
    """Names the exact workflow text a rehearsal ran (a rerun of CI generation may
    replace a configuration's text in place)."""
    return hashlib.sha256(content.encode()).hexdigest()
