"""What can go wrong with one Gemini call, each with the outcome recorded in ai_usage."""

from __future__ import annotations

from libs.common.schemas import Usage


class AiError(Exception):
    """A failed Gemini call. `outcome` is what ai_usage records; the message is user-safe."""

    outcome = "error"
    retryable = False

    def __init__(
        self, message: str, *, retry_after: float | None = None, usage: Usage | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.usage = usage or Usage()


class AiRateLimited(AiError):
    outcome = "rate_limited"
    retryable = True


class AiServerError(AiError):
    outcome = "server_error"
    retryable = True


class AiTimeout(AiError):
    outcome = "timeout"
    retryable = True


class AiUnreachable(AiError):
    outcome = "unreachable"
    retryable = True


class AiRejected(AiError):
    """A 4xx other than 429: bad key, bad request, model not found. Retrying cannot help."""

    outcome = "rejected"


class AiBadOutput(AiError):
    """An answer that cannot be used: truncated, not JSON, off-schema, blocked, unreadable."""

    def __init__(self, message: str, *, outcome: str, usage: Usage | None = None) -> None:
        super().__init__(message, usage=usage)
        self.outcome = outcome
