"""What GitHub can answer besides yes, as a few typed errors a job or route can act on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Mapping
from typing import TypeVar

import aiohttp
import gidgethub

T = TypeVar("T")

# GitHub's advice when a secondary rate limit names no wait.
SECONDARY_LIMIT_WAIT_S = 60.0


class GitHubError(Exception):
    """Base: `message` is safe to show a user; `status` is GitHub's HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(GitHubError):
    """The object does not exist, or this token may not see it (GitHub answers 404 to both)."""


class Forbidden(GitHubError):
    """Bad or expired credentials (401) or missing permission (403)."""


class Invalid(GitHubError):
    """GitHub refused the request as invalid (422), e.g. a branch that already exists."""


class RateLimited(GitHubError):
    """Primary or secondary rate limit: wait `retry_after` seconds (reset time if known)."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        retry_after: float,
        reset: dt.datetime | None = None,
    ) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after
        self.reset = reset


class NotInstalled(GitHubError):
    """The GitHub App is not installed on that account or repository (any more), or the
    installation is suspended: nothing to retry until someone installs it again."""


class Transient(GitHubError):
    """5xx, a timeout or a dropped connection: worth another try later."""


class ArchiveError(GitHubError):
    """A repository archive that was refused: unsafe entries or over a size/count cap."""


def map_error(exc: gidgethub.HTTPException) -> GitHubError:
    """gidgethub's exceptions as ours, with the wait a rate limit asks for."""
    status = int(exc.status_code)
    message = str(exc) or exc.status_code.phrase
    headers = exc.headers
    if isinstance(exc, gidgethub.RateLimitExceeded):
        reset = exc.rate_limit.reset_datetime if exc.rate_limit is not None else None
        wait = (reset - dt.datetime.now(dt.UTC)).total_seconds() if reset else 60.0
        return RateLimited(
            f"GitHub rate limit exhausted until {reset}",
            status,
            retry_after=max(wait, 1),
            reset=reset,
        )
    retry_after = headers.get("retry-after")
    if status == 429 or (status == 403 and (retry_after or "rate limit" in message.lower())):
        return RateLimited(
            f"GitHub rate limit: {message}", status, retry_after=_wait(headers), reset=None
        )
    if status == 404:
        return NotFound(f"not found on GitHub (or not visible to this token): {message}", status)
    if status in (401, 403):
        return Forbidden(f"GitHub refused the request: {message}", status)
    if status in (409, 422):
        return Invalid(f"GitHub rejected the request: {message}", status)
    if status >= 500:
        return Transient(f"GitHub is having trouble ({status}): {message}", status)
    return GitHubError(f"GitHub answered {status}: {message}", status)


def _wait(headers: Mapping[str, str]) -> float:
    """Retry-After, else until X-RateLimit-Reset, else a minute (GitHub's own advice)."""
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit():
        return float(retry_after)
    reset = headers.get("x-ratelimit-reset", "")
    if reset.isdigit():
        return max(float(reset) - dt.datetime.now(dt.UTC).timestamp(), 1.0)
    return SECONDARY_LIMIT_WAIT_S


async def guarded(request: Awaitable[T]) -> T:
    """Await a gidgethub request, raising our errors for GitHub's answers and the network's."""
    try:
        return await request
    except gidgethub.HTTPException as exc:
        raise map_error(exc) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Transient(f"GitHub could not be reached ({type(exc).__name__})") from exc
