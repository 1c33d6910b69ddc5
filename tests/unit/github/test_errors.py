from __future__ import annotations

import http
import time

import gidgethub
import pytest
from gidgethub.sansio import RateLimit

from libs.github.client import split_name
from libs.github.errors import (
    Forbidden,
    GitHubError,
    Invalid,
    NotFound,
    RateLimited,
    Transient,
    map_error,
)


def test_primary_rate_limit_carries_its_reset() -> None:
    reset = time.time() + 120
    limit = RateLimit(limit=5000, remaining=0, reset_epoch=reset)
    error = map_error(gidgethub.RateLimitExceeded(limit, "API rate limit exceeded"))
    assert isinstance(error, RateLimited)
    assert 100 < error.retry_after <= 120
    assert error.reset == limit.reset_datetime


@pytest.mark.parametrize(
    ("status", "headers", "message", "kind", "retry_after"),
    [
        (429, {"retry-after": "30"}, "too many", RateLimited, 30.0),
        (403, {"retry-after": "7"}, "You have exceeded a secondary rate limit", RateLimited, 7.0),
        (403, {}, "You have exceeded a secondary rate limit", RateLimited, 60.0),
        (403, {}, "Resource not accessible by integration", Forbidden, None),
        (401, {}, "Bad credentials", Forbidden, None),
        (404, {}, "Not Found", NotFound, None),
        (422, {}, "Reference already exists", Invalid, None),
        (409, {}, "Git Repository is empty.", Invalid, None),
        (502, {}, "Bad Gateway", Transient, None),
        (418, {}, "teapot", GitHubError, None),
    ],
)
def test_statuses_map_to_typed_errors(
    status: int,
    headers: dict[str, str],
    message: str,
    kind: type[GitHubError],
    retry_after: float | None,
) -> None:
    exc = gidgethub.HTTPException(http.HTTPStatus(status), message, headers=headers)
    error = map_error(exc)
    assert type(error) is kind
    assert error.status == status
    assert message in error.message
    assert getattr(error, "retry_after", None) == retry_after


@pytest.mark.parametrize("name", ["", "owner", "a/b/c", "-/x", "own er/x", "o/" + "x" * 101])
def test_repository_names_are_validated(name: str) -> None:
    with pytest.raises(Invalid):
        split_name(name)
