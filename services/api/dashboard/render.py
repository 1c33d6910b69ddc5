"""Rendering pages: the Jinja2 environment (autoescaped), the page decorator that turns
errors into HTML pages or a sign-in redirect, and the security headers of every page."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import web
from multidict import MultiDictProxy

from services.api.dashboard.session import VIEWER, SignInRequired, signin_location
from services.api.http.errors import AppError

log = structlog.get_logger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
PREFIX = "/dashboard"
MAX_FIELD = 2000

# No inline script or style anywhere: scripts and styles come from /dashboard/static.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ago(value: dt.datetime | None) -> str:
    if value is None:
        return "never"
    seconds = int((dt.datetime.now(dt.UTC) - value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["ago"] = _ago
    env.filters["short"] = lambda sha: (sha or "")[:12]


def render(
    request: web.Request, template: str, context: Mapping[str, Any], status: int = 200
) -> web.Response:
    viewer = request.get(VIEWER)
    base: dict[str, Any] = {
        "viewer": viewer,
        "csrf": viewer.csrf if viewer else "",
        "path": request.path,
        "orgs": [],
        "org": None,
        "is_admin": False,
    }
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def page(handler: Page) -> Page:
    """A dashboard handler: no JSON problems here, a page saying what went wrong."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SignInRequired:
            if request.method == "GET":
                return redirect(signin_location(request))
            return redirect(f"{PREFIX}/signin")
        except AppError as exc:
            return render(
                request,
                "error.html",
                {"status": exc.status, "title": exc.title, "detail": exc.detail},
                status=exc.status,
            )

    return wrapped


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def form_fields(form: MultiDictProxy[Any]) -> dict[str, str]:
    """A posted form as text fields, each bounded."""
    return {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
