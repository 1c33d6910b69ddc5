"""Expected failures as AppError subclasses, rendered once as application/problem+json."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """An expected failure with a stable problem type (RFC 9457)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    pass


class ValidationFailed(AppError):
    status = 400
    slug = "validation-error"
    title = "The request body is not valid"


class InvalidParameter(AppError):
    status = 400
    slug = "invalid-parameter"
    title = "A query parameter is not valid"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["WWW-Authenticate"] = 'Bearer realm="autodevops"'


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class ServiceUnavailable(AppError):
    status = 503
    slug = "service-unavailable"
    title = "A dependency is unavailable"


class BadSignature(Unauthorized):
    slug = "bad-signature"
    title = "Webhook signature missing or wrong"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.headers.pop("WWW-Authenticate", None)


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return web.Response(
        status=status,
        body=msgspec.json.encode(body),
        content_type=PROBLEM_JSON,
        headers=headers,
    )


def render(error: AppError, instance: str | None = None) -> web.Response:
    return problem_response(
        error.status,
        error.slug,
        error.title,
        error.detail,
        instance=instance,
        headers=error.headers or None,
        **error.extra,
    )


# aiohttp's own HTTP errors (unknown route, wrong method, body too big) as problems.
HTTP_SLUGS = {
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}
