"""What a rehearsal reports: one `Rehearsal` with a `JobResult` per job (and matrix
combination) and a `StepResult` per step. `msgspec.json.encode(rehearsal)` is the
`--format json` output. The structs live in libs/common/rehearsal.py, where the api,
which stores uploaded reports, reads them without importing the rehearsal."""

from __future__ import annotations

from libs.common.rehearsal import (
    JobResult,
    JobStatus,
    Rehearsal,
    StepResult,
    StepStatus,
    matrix_of,
)

__all__ = ["JobResult", "JobStatus", "Rehearsal", "StepResult", "StepStatus", "matrix_of"]
