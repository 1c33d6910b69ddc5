"""Signing in and out of the dashboard, and switching organization.

GitHub sign-in is the API's own flow (/auth/github/login, which ends with the session
cookie). An API token (the admin token `make run` prints) signs in too: it is exchanged
for a session of the same user and organization, so it never sits in a cookie itself.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from libs.common.db import orgs as orgs_db
from libs.common.db import sessions as sessions_db
from libs.common.db import tokens as tokens_db
from services.api.dashboard.render import PREFIX, form_fields, page, redirect, render
from services.api.dashboard.session import check_form, set_session_cookie, viewer
from services.api.github_signin import safe_next
from services.api.http import keys
from services.api.http.errors import Forbidden, NotFound, Unauthorized
from services.api.http.middlewares import SESSION_COOKIE
from services.api.http.spec import HTML, operation

routes = web.RouteTableDef()


def _next(value: str | None) -> str:
    chosen = safe_next(value)
    return chosen if chosen.startswith(PREFIX) else PREFIX


@routes.get(f"{PREFIX}/signin")
@operation(
    "Dashboard: sign in (GitHub, or an API token)",
    tags=("dashboard",),
    responses={200: HTML},
    security="none",
)
@page
async def signin_page(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    return render(
        request,
        "signin.html",
        {
            "next": _next(request.query.get("next")),
            "github": bool(settings.github_client_id and settings.github_client_secret),
            "error": None,
        },
    )


@routes.post(f"{PREFIX}/signin")
@operation(
    "Dashboard: exchange an API token for a browser session",
    tags=("dashboard",),
    responses={303: None, 401: HTML},
    errors=(Forbidden,),
    security="none",
    rate_limit="auth",
)
@page
async def signin_with_token(request: web.Request) -> web.StreamResponse:
    form = form_fields(await request.post())
    check_form(request, form, session=None)
    token = form.get("token", "").strip()
    async with request.app[keys.POOL].acquire() as conn:
        principal = await tokens_db.authenticate(conn, token) if token else None
        if principal is None:
            raise Unauthorized("That token is unknown, revoked or expired.")
        secret = await sessions_db.create_session(
            conn,
            principal.user_id,
            principal.organization_id,
            request.app[keys.SETTINGS].session_ttl_seconds,
        )
    response = redirect(_next(form.get("next")))
    set_session_cookie(request, response, secret)
    return response


@routes.post(f"{PREFIX}/signout")
@operation("Dashboard: sign out", tags=("dashboard",), responses={303: None}, security="none")
@page
async def signout(request: web.Request) -> web.StreamResponse:
    who = await viewer(request)
    check_form(request, form_fields(await request.post()), who.session)
    async with request.app[keys.POOL].acquire() as conn:
        await sessions_db.revoke(conn, who.session)
    response = redirect(f"{PREFIX}/signin")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.post(f"{PREFIX}/org")
@operation(
    "Dashboard: switch to another organization you belong to",
    tags=("dashboard",),
    responses={303: None, 404: HTML},
    security="none",
)
@page
async def switch_organization(request: web.Request) -> web.StreamResponse:
    who = await viewer(request)
    form = form_fields(await request.post())
    check_form(request, form, who.session)
    try:
        org_id = uuid.UUID(form.get("organization_id", ""))
    except ValueError:
        raise NotFound("No such organization.") from None
    async with request.app[keys.POOL].acquire() as conn, conn.transaction():
        if await orgs_db.organization_for(conn, org_id, who.principal.user_id) is None:
            raise NotFound("No such organization.")
        # A session belongs to one organization: a new one replaces it.
        secret = await sessions_db.create_session(
            conn, who.principal.user_id, org_id, request.app[keys.SETTINGS].session_ttl_seconds
        )
        await sessions_db.revoke(conn, who.session)
    response = redirect(PREFIX)
    set_session_cookie(request, response, secret)
    return response
