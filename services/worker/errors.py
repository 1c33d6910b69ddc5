"""How a job says it failed: permanently (fail once, with a reason) or for now (retry)."""

from __future__ import annotations


class JobError(Exception):
    """Base for expected job failures; `reason` is shown to users as is."""

    error_type = "error"

    def __init__(self, reason: str, error_type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if error_type:
            self.error_type = error_type


class PermanentJobError(JobError):
    """Retrying cannot help (repository gone, bad input): the job fails now."""

    error_type = "permanent"


class TransientJobError(JobError):
    """Worth another attempt later (network, rate limit, dependency down)."""

    error_type = "transient"

    def __init__(
        self, reason: str, error_type: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason, error_type)
        self.retry_after = retry_after


class JobCancelled(Exception):
    """Someone cancelled the running job (POST /v1/jobs/{id}/cancel): it stops at the
    stage it reached, and nothing after it runs."""
