"""Rate limiting a request: which policies apply to it, spending them, and its headers."""

from __future__ import annotations

import structlog
from aiohttp import web
from redis.exceptions import RedisError

from libs.common.config import Settings
from services.api.http import keys
from services.api.http.gcra import Policy, RateLimited, check, client_ip
from services.api.http.spec import RateLimit, operation_of

log = structlog.get_logger(__name__)


def policies(settings: Settings, kind: RateLimit) -> list[Policy]:
    if kind == "none":
        return []
    window = settings.rate_limit_window_seconds
    default = Policy("default", settings.rate_limit_requests, window)
    if kind == "auth":
        return [Policy("auth", settings.rate_limit_auth_requests, window)]
    if kind == "expensive":
        return [default, Policy("expensive", settings.rate_limit_expensive_requests, window)]
    return [default]


_HEADERS = web.RequestKey("ratelimit_headers", dict[str, str])


async def admit(request: web.Request) -> None:
    """Spend this request from the budgets of its route; RateLimited when one is empty.

    Runs after authentication, so a known caller is limited as a user, anyone else by IP.
    """
    settings = request.app[keys.SETTINGS]
    op = operation_of(request.match_info.handler)
    chosen = policies(settings, op.rate_limit if op else "default")
    if not chosen:
        return
    principal = request.get(keys.PRINCIPAL)
    if principal is not None and (op is None or op.rate_limit != "auth"):
        subject = f"user:{principal.user_id}"
    else:
        subject = f"ip:{client_ip(request, settings.trusted_proxy_count)}"
    try:
        decision = await check(request.app[keys.REDIS], subject, chosen)
    except (RedisError, OSError) as exc:
        # Limits protect the service; refusing everything while Redis is away would not.
        log.warning("rate limiter unavailable; request allowed", error=str(exc))
        return
    if not decision.allowed:
        request.app[keys.METRICS].rate_limited.labels(decision.policy.name).inc()
        error = RateLimited(
            f"Rate limit '{decision.policy.name}' ({decision.policy.limit} requests per "
            f"{decision.policy.window_s} s) reached; retry in {decision.retry_after_s} s."
        )
        error.headers.update(decision.headers())
        error.headers["Retry-After"] = str(decision.retry_after_s)
        raise error
    request[_HEADERS] = decision.headers()


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the budget left, on every limited response (SSE included)."""
    found = request.get(_HEADERS)
    if found:
        response.headers.update(found)
