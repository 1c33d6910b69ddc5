"""Who is looking at a page: the browser session behind the cookie, and its CSRF token.

The dashboard uses the same session cookie as the API (GitHub sign-in sets it; the admin
token printed by `make run` can be exchanged for one), so the pages' own scripts reach
the API's event streams with it. Every state-changing form carries a token derived from
the session (HMAC of the session secret), and is also refused unless it comes from this
site (Origin / Sec-Fetch-Site), as the API refuses cookie-authenticated changes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from libs.common.db import sessions as sessions_db
from libs.common.schemas import Principal
from services.api.http import keys
from services.api.http.errors import AppError, Forbidden
from services.api.http.middlewares import SESSION_COOKIE, same_origin

SIGNIN_PATH = "/dashboard/signin"


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    session: str  # the cookie's secret, only ever compared and hashed

    @property
    def csrf(self) -> str:
        return csrf_token(self.session)


VIEWER = web.RequestKey("dashboard_viewer", Viewer)


def csrf_token(session: str) -> str:
    return hmac.new(session.encode(), b"dashboard-csrf", hashlib.sha256).hexdigest()


class SignInRequired(AppError):
    status = 401
    slug = "unauthorized"
    title = "Sign in to see this page"


async def viewer(request: web.Request) -> Viewer:
    """The signed-in viewer, or SignInRequired (pages answer it with a redirect)."""
    found: Viewer | None = request.get(VIEWER)
    if found is not None:
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = None
    if cookie:
        async with request.app[keys.POOL].acquire() as conn:
            principal = await sessions_db.authenticate(conn, cookie)
    if principal is None or cookie is None:
        raise SignInRequired("Your session has ended; sign in again.")
    found = Viewer(principal, cookie)
    request[VIEWER] = found
    # Rate limits and logs treat the page's caller as the API treats it.
    request[keys.PRINCIPAL] = principal
    return found


def check_form(request: web.Request, form: dict[str, str], session: str | None) -> None:
    """CSRF: the form comes from our own page, and carries the session's token."""
    if not same_origin(request):
        raise Forbidden("Cross-site form refused; send it from this site's pages.")
    if session is not None and not hmac.compare_digest(form.get("csrf", ""), csrf_token(session)):
        raise Forbidden("The form's token is missing or stale; reload the page and try again.")


def signin_location(request: web.Request) -> str:
    return f"{SIGNIN_PATH}?next={quote(request.path_qs, safe='/')}"


def set_session_cookie(request: web.Request, response: web.StreamResponse, secret: str) -> None:
    settings = request.app[keys.SETTINGS]
    tls = request.secure or (settings.public_url or "").startswith("https://")
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        path="/",
        max_age=settings.session_ttl_seconds,
        httponly=True,
        secure=tls,
        samesite="Lax",
    )
