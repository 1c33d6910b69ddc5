"""The one middleware: request id, metrics, errors, authentication and rate limits."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Awaitable, Callable
from random import getrandbits
from urllib.parse import urlsplit

import asyncpg
import structlog
from aiohttp import web
from redis.exceptions import RedisError

from libs.common.db import sessions as sessions_db
from libs.common.db import tokens as tokens_db
from libs.common.schemas import Principal
from libs.common.telemetry import ServerSpan
from services.api.http import errors, gcra, keys, ratelimit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = structlog.get_logger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PROTECTED_PREFIX = "/v1/"
SESSION_COOKIE = "ado_session"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_AUTH_CHECKS_MAX = 10_000


@web.middleware
async def observe_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, errors as problems, and metrics: one layer, as every request passes it."""
    given = request.headers.get("X-Request-ID", "")
    # Ids only tell requests apart: the PRNG, not a getrandom syscall per request.
    request_id = given if given and _REQUEST_ID.match(given) else f"{getrandbits(128):032x}"
    request[keys.REQUEST_ID] = request_id
    http = request.app[keys.HTTP_METRICS]
    started = time.perf_counter()
    status = 500
    streamed = False
    http.metrics.http_in_flight.inc()
    bound = structlog.contextvars.bind_contextvars(request_id=request_id)
    route = route_template(request)
    try:
        with ServerSpan(f"{request.method} {route}", request.headers):
            try:
                response = await _admitted(request, handler)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = as_problem(request, exc)
            except Exception as exc:
                response = as_problem(request, exc)
        status = response.status
        # An event stream's duration is how long the client listened (web.Response is
        # never one; its content type is parsed only for other responses).
        streamed = type(response) is not web.Response and (
            response.content_type == "text/event-stream"
        )
        return response
    except web.HTTPException as exc:  # a raised redirect passes through as it is
        status = exc.status
        raise
    finally:
        structlog.contextvars.reset_contextvars(**bound)
        http.metrics.http_in_flight.dec()
        seconds = None if streamed else time.perf_counter() - started
        http.record(request.method, route, status, seconds)


async def add_request_id_header(request: web.Request, response: web.StreamResponse) -> None:
    request_id = request.get(keys.REQUEST_ID)
    if request_id:
        response.headers["X-Request-ID"] = request_id


def route_template(request: web.Request) -> str:
    """The route's pattern (`/v1/jobs/{id}`), never the raw path, to bound label values."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


_UNAVAILABLE = (
    RedisError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.TooManyConnectionsError,
    ConnectionError,
    TimeoutError,
)


def as_problem(request: web.Request, exc: Exception) -> web.StreamResponse:
    """The response for an exception: a problem document, never a stack trace."""
    if isinstance(exc, errors.AppError):
        return errors.render(exc, instance=request.path)
    if isinstance(exc, web.HTTPException):
        slug, title = errors.HTTP_SLUGS.get(exc.status, ("http-error", exc.reason))
        return errors.problem_response(
            exc.status,
            slug,
            title,
            None if not exc.text or exc.text.startswith(f"{exc.status}:") else exc.text,
            instance=request.path,
            # 405 says which methods the route takes.
            headers={"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None,
        )
    if isinstance(exc, _UNAVAILABLE):
        log.warning("dependency unavailable", error=type(exc).__name__, detail=str(exc))
        return errors.problem_response(
            503,
            "service-unavailable",
            "A dependency is unavailable",
            "The database or Redis did not answer; try again shortly.",
            instance=request.path,
            headers={"Retry-After": "5"},
        )
    log.error("unhandled error", path=request.path, method=request.method, exc_info=exc)
    return errors.problem_response(
        500,
        "internal-error",
        "Internal server error",
        f"Something went wrong; quote request id {request.get(keys.REQUEST_ID)}.",
        instance=request.path,
    )


def same_origin(request: web.Request) -> bool:
    """A cookie-authenticated change must come from our own pages (CSRF)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    public = request.app[keys.SETTINGS].public_url
    allowed = {f"{request.scheme}://{request.host}"}
    if public:
        parts = urlsplit(public)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


async def _principal(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not header and cookie:
        if request.method in _UNSAFE and not same_origin(request):
            raise errors.Forbidden("Cross-site request refused; send it from this site's pages.")
        async with request.app[keys.POOL].acquire() as conn:
            principal = await sessions_db.authenticate(conn, cookie)
        if principal is None:
            raise errors.Unauthorized("The session has expired; sign in again.")
        return principal
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    async with request.app[keys.POOL].acquire() as conn:
        found = await tokens_db.authenticate(conn, token.strip())
    if found is None:
        raise errors.Unauthorized("The API token is unknown, revoked or expired.")
    return found


def credential_digest(request: web.Request) -> str:
    """Names the credential a request came with (its token or session), never shows it."""
    credential = request.headers.get("Authorization") or request.cookies.get(SESSION_COOKIE, "")
    return hashlib.sha256(credential.encode()).hexdigest()


async def still_authorized(request: web.Request) -> bool:
    """Whether the credentials a long request (an event stream) began with still hold:
    its token or session, and the membership it acts through. A database that does not
    answer is not a reason to end the stream."""
    before = request.get(keys.PRINCIPAL)
    if before is None:
        return True
    # Every stream opened with the same credentials shares one lookup per interval: a
    # thousand streams of one user cost one query, not a thousand.
    digest = credential_digest(request)
    checks = request.app[keys.AUTH_CHECKS]
    now_s = time.monotonic()
    cached = checks.get(digest)
    if cached is not None and cached[0] > now_s:
        identity = cached[1]
    else:
        try:
            found = await _principal(request)
            identity = (found.user_id, found.organization_id)
        except errors.AppError:
            identity = None
        except _UNAVAILABLE:
            return True
        if len(checks) >= _AUTH_CHECKS_MAX:
            for key in [k for k, (until, _) in checks.items() if until <= now_s]:
                del checks[key]
        ttl = request.app[keys.SETTINGS].sse_keepalive_seconds
        checks[digest] = (now_s + ttl, identity)
    return identity == (before.user_id, before.organization_id)


async def _authenticated(request: web.Request) -> Principal:
    """The caller. Credentials are looked up first (one indexed query on a hash), so a
    valid one always works; only failures spend the address's budget, and once it is
    spent they are 429 instead of 401 (the request limiter only counts callers it knows)."""
    settings = request.app[keys.SETTINGS]
    budget = gcra.FailureBudget(
        request.app[keys.REDIS],
        f"ip:{gcra.client_ip(request, settings.trusted_proxy_count)}",
        gcra.Policy(
            "auth-failures", settings.rate_limit_auth_requests, settings.rate_limit_window_seconds
        ),
    )
    try:
        return await _principal(request)
    except errors.Unauthorized:
        await budget.charge("requests with unknown credentials")
        raise


async def _admitted(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authentication (every /v1/ route needs a bearer API token or a session cookie),
    then the rate limit, then the handler: plain calls, so the order is read in one place
    and the problem rendering around them covers all three."""
    if not request.path.startswith(PROTECTED_PREFIX):
        await ratelimit.admit(request)
        return await handler(request)
    principal = await _authenticated(request)
    request[keys.PRINCIPAL] = principal
    with structlog.contextvars.bound_contextvars(
        user_id=str(principal.user_id), organization_id=str(principal.organization_id)
    ):
        await ratelimit.admit(request)
        return await handler(request)
