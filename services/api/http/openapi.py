"""The OpenAPI 3.1 document, built from the app's routes, their declared operations and
the msgspec types they decode and encode (JSON Schema 2020-12, which OpenAPI 3.1 uses)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec
from aiohttp import web

from services.api.http import errors, gcra
from services.api.http.errors import AppError
from services.api.http.middlewares import SESSION_COOKIE
from services.api.http.paging import DESCRIPTION as PAGED
from services.api.http.paging import LINK_HEADER, PageQuery
from services.api.http.spec import Operation, operation_of

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
REF = "#/components/schemas/{name}"
_PATH_PARAM = re.compile(r"\{(\w+)\}")
# Path parameters are ids (UUIDs) but for these.
_PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "slug": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 64},
}


class ProblemDetails(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An error, as RFC 9457 describes it; `type` is stable, `detail` is for people."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


# Errors any route may answer besides its own.
COMMON_ERRORS: tuple[type[AppError], ...] = (errors.ServiceUnavailable,)


class InternalError(AppError):
    status = 500
    slug = "internal-error"
    title = "Internal server error"


SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`ado_...`): `autodevops token create`, or POST /v1/tokens.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser session set by GitHub sign-in; changes need our Origin.",
    },
    "githubSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Hub-Signature-256",
        "description": "sha256=HMAC-SHA256(secret, raw body): the repository's webhook secret "
        "or GITHUB_WEBHOOK_SECRET.",
    },
}
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "token": [{"bearerToken": []}, {"sessionCookie": []}],
    "webhook": [{"githubSignature": []}],
    "none": [],
}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests allowed per window by the tightest policy that applies.",
    "RateLimit-Remaining": "Requests left now.",
    "RateLimit-Reset": "Seconds until the full budget is back.",
    "RateLimit-Policy": "The policy: `<limit>;w=<window seconds>`.",
}


def _schema_hook(type_: type) -> dict[str, Any]:
    if type_ is object:
        return {"description": "Any JSON value."}
    raise NotImplementedError


def documented_routes(app: web.Application) -> list[tuple[str, str, Any, Operation | None]]:
    """(method, path, handler, operation) for every route except aiohttp's HEAD twins."""
    found = []
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        found.append(
            (route.method, route.resource.canonical, route.handler, operation_of(route.handler))
        )
    return found


def problem_types(operations: Iterable[Operation]) -> list[type[AppError]]:
    seen: dict[str, type[AppError]] = {}
    extra: list[type[AppError]] = [
        errors.Unauthorized,
        errors.InvalidParameter,
        gcra.RateLimited,
        InternalError,
        *COMMON_ERRORS,
    ]
    for error in [e for op in operations for e in op.errors] + extra:
        seen.setdefault(error.slug, error)
    return sorted(seen.values(), key=lambda e: (e.status, e.slug))


def problem_catalogue(operations: Iterable[Operation]) -> list[dict[str, Any]]:
    """Every problem type the API answers with, including aiohttp's own HTTP errors."""
    found = {e.slug: (e.status, e.title) for e in problem_types(operations)}
    for status, (slug, title) in errors.HTTP_SLUGS.items():
        found.setdefault(slug, (status, title))
    return [
        {"type": f"/problems/{slug}", "title": title, "status": status}
        for slug, (status, title) in sorted(found.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]


def _errors_of(op: Operation, method: str) -> list[type[AppError]]:
    found = list(op.errors)
    if op.body is not None:
        found.append(errors.PayloadTooLarge)  # the api's 1 MiB body limit
    if op.query is not None:
        found.append(errors.InvalidParameter)
    if op.security == "token":
        found.append(errors.Unauthorized)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            found.append(errors.Forbidden)  # a cookie-authenticated change from another site
    if op.rate_limit != "none":
        found.append(gcra.RateLimited)
    return [*found, *COMMON_ERRORS, InternalError]


def _header_objects(names: dict[str, str]) -> dict[str, Any]:
    return {n: {"description": d, "schema": {"type": "string"}} for n, d in names.items()}


def _responses(op: Operation, method: str, refs: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limited = op.rate_limit != "none"
    paged = op.query is not None and issubclass(op.query, PageQuery)
    for status, body in sorted(op.responses.items()):
        entry: dict[str, Any] = {"description": op.summary}
        if isinstance(body, str):
            entry["content"] = {body: {"schema": {"type": "string"}}}
        elif body is not None:
            entry["content"] = {"application/json": {"schema": refs[body]}}
        headers = (RATE_LIMIT_HEADERS if limited else {}) | (LINK_HEADER if paged else {})
        if headers:
            entry["headers"] = _header_objects(headers)
        out[str(status)] = entry
    by_status: dict[int, list[type[AppError]]] = {}
    for error in _errors_of(op, method):
        if error not in by_status.setdefault(error.status, []):
            by_status[error.status].append(error)
    for status, kinds in sorted(by_status.items()):
        described = "; ".join(f"`/problems/{e.slug}`: {e.title}" for e in kinds)
        entry = {
            "description": described,
            "content": {errors.PROBLEM_JSON: {"schema": refs[ProblemDetails]}},
        }
        if status == 429:
            entry["headers"] = _header_objects(
                RATE_LIMIT_HEADERS | {"Retry-After": "Seconds to wait before trying again."}
            )
        out[str(status)] = entry
    return out


def _parameters(path: str, op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_SCHEMAS.get(name, {"type": "string", "format": "uuid"}),
        }
        for name in _PATH_PARAM.findall(path)
    ]
    if op.query is not None:
        query = components[op.query.__name__]
        for name, schema in query["properties"].items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in query.get("required", []),
                    "schema": schema,
                }
            )
    for name, description in op.headers.items():
        if name == "X-Hub-Signature-256":
            continue  # the security scheme describes it
        params.append(
            {"name": name, "in": "header", "description": description, "schema": {"type": "string"}}
        )
    return params


def _types(operations: Iterable[Operation]) -> list[Any]:
    found: list[Any] = [ProblemDetails]
    for op in operations:
        candidates = [op.body, op.query, *op.responses.values()]
        found += [t for t in candidates if t is not None and not isinstance(t, str)]
    unique: list[Any] = []
    for t in found:
        if t not in unique:
            unique.append(t)
    return unique


# PostgreSQL stores no NUL character, so no string the API takes may hold one (a 400,
# services/api/http/body.py): said in the document for every free-form string.
NO_NUL = "^[^\\u0000]*$"


def _no_nul(node: Any, components: dict[str, Any], seen: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _no_nul(item, components, seen)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen and name in components:
            seen.add(name)
            _no_nul(components[name], components, seen)
    if node.get("type") == "string" and not node.keys() & {"pattern", "format", "enum", "const"}:
        node["pattern"] = NO_NUL
    if node.get("type") == "object" and "additionalProperties" in node:
        # a mapping's keys too, beside what else they are held to (a rehearsal report's
        # matrix keys have a maxLength)
        names = node.setdefault("propertyNames", {})
        if isinstance(names, dict):
            names.setdefault("pattern", NO_NUL)
    for value in node.values():
        _no_nul(value, components, seen)


def build(app: web.Application, public_url: str | None = None) -> dict[str, Any]:
    routes = documented_routes(app)
    operations = [op for _, _, _, op in routes if op is not None]
    types = _types(operations)
    schemas, components = msgspec.json.schema_components(
        types, schema_hook=_schema_hook, ref_template=REF
    )
    refs = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    tags: list[str] = []
    for method, path, handler, op in routes:
        if op is None:
            continue
        entry: dict[str, Any] = {
            "operationId": handler.__name__,
            "summary": op.summary,
            "tags": list(op.tags),
            "security": _SECURITY[op.security],
            "responses": _responses(op, method, refs),
            "x-rate-limit": op.rate_limit,
        }
        description = op.description
        if op.query is not None and issubclass(op.query, PageQuery):
            description = f"{description} {PAGED}".strip()
        if description:
            entry["description"] = description
        params = _parameters(path, op, components)
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {
                "required": op.body_required,
                "content": {"application/json": {"schema": refs[op.body]}},
            }
        paths.setdefault(path, {})[method.lower()] = entry
        tags += [t for t in op.tags if t not in tags]
    for op in operations:  # what the API takes; responses may quote it back (a detail)
        if op.body is not None:
            _no_nul(refs[op.body], components, set())
    for entry in (e for methods in paths.values() for e in methods.values()):
        _no_nul(entry.get("parameters", []), components, set())
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "AutoDevOps API",
            "version": API_VERSION,
            "description": "Keeps the DevOps of GitHub repositories healthy. "
            "Errors are application/problem+json (RFC 9457) with stable `type`s.",
        },
        "servers": [{"url": public_url.rstrip("/") if public_url else "/"}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
        "x-problem-types": problem_catalogue(operations),
    }
