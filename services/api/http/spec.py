"""What each route promises, declared beside its handler: the OpenAPI document, the docs
page and the rate limiter all read it, so they cannot drift from the code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aiohttp import web

from services.api.http.errors import AppError

Security = Literal["token", "none", "webhook"]
RateLimit = Literal["default", "expensive", "auth", "none"]
EVENT_STREAM = "text/event-stream"
HTML = "text/html"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Operation:
    summary: str
    tags: tuple[str, ...]
    # status -> body type (a msgspec type), None for no body, or a media type string
    # (text/event-stream, text/html) for bodies that are not JSON.
    responses: Mapping[int, Any]
    description: str = ""
    body: Any = None
    body_required: bool = True
    query: type | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[type[AppError], ...] = ()
    security: Security = "token"
    rate_limit: RateLimit = "default"


_OPERATIONS: dict[Handler, Operation] = {}


def operation(
    summary: str,
    *,
    tags: tuple[str, ...],
    responses: Mapping[int, Any],
    description: str = "",
    body: Any = None,
    body_required: bool = True,
    query: type | None = None,
    headers: Mapping[str, str] | None = None,
    errors: tuple[type[AppError], ...] = (),
    security: Security = "token",
    rate_limit: RateLimit = "default",
) -> Callable[[H], H]:
    """Declare a handler's contract; put it below the route decorator."""
    op = Operation(
        summary=summary,
        tags=tags,
        responses=responses,
        description=description,
        body=body,
        body_required=body_required,
        query=query,
        headers=headers or {},
        errors=errors,
        security=security,
        rate_limit=rate_limit,
    )

    def register(handler: H) -> H:
        _OPERATIONS[handler] = op
        return handler

    return register


def operation_of(handler: Callable[..., Any]) -> Operation | None:
    return _OPERATIONS.get(handler)
