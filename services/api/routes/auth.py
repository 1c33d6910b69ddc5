"""GitHub sign-in: /auth/github/login, /auth/github/callback, and /auth/logout."""

from __future__ import annotations

import uuid

import msgspec
from aiohttp import web

from libs.common.db import sessions as sessions_db
from services.api import github_signin
from services.api.http import keys
from services.api.http.body import decode_query, json_response
from services.api.http.errors import BadRequest, Forbidden, ServiceUnavailable
from services.api.http.middlewares import SESSION_COOKIE, same_origin
from services.api.http.spec import operation

routes = web.RouteTableDef()


class LoginQuery(msgspec.Struct, kw_only=True):
    mode: github_signin.Mode = "session"
    next: str | None = None


class CallbackQuery(msgspec.Struct, kw_only=True):
    code: str | None = None
    state: str | None = None
    error: str | None = None


class TokenIssued(msgspec.Struct, kw_only=True):
    token: str
    user_id: uuid.UUID
    organization_id: uuid.UUID
    note: str


def redirect_uri(request: web.Request) -> str:
    base = request.app[keys.SETTINGS].public_url or str(request.url.origin())
    return base.rstrip("/") + github_signin.CALLBACK_PATH


def redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _cookie(response: web.StreamResponse, name: str, value: str, path: str, max_age: int) -> None:
    response.set_cookie(
        name, value, path=path, max_age=max_age, httponly=True, secure=True, samesite="Lax"
    )


@routes.get("/auth/github/login")
@operation(
    "Start GitHub sign-in (redirects to GitHub)",
    tags=("auth",),
    description=(
        "`mode=session` (default) ends with a session cookie and a redirect to `next` (a "
        "path here); `mode=token` ends with an API token shown once, for the CLI. Needs "
        "GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and ENCRYPTION_KEY."
    ),
    query=LoginQuery,
    responses={302: None},
    errors=(BadRequest, github_signin.SignInNotConfigured),
    security="none",
    rate_limit="auth",
)
async def login(request: web.Request) -> web.StreamResponse:
    app = request.app
    query = decode_query(request, LoginQuery)
    started = await github_signin.start(
        app[keys.REDIS],
        app[keys.SETTINGS],
        app[keys.KEYRING],
        redirect_uri(request),
        query.mode,
        query.next,
    )
    response = redirect(started.authorize_url)
    _cookie(
        response,
        github_signin.BINDING_COOKIE,
        started.browser_secret,
        "/auth/github",
        app[keys.SETTINGS].oauth_state_ttl_seconds,
    )
    return response


@routes.get("/auth/github/callback")
@operation(
    "Finish GitHub sign-in (GitHub redirects here)",
    tags=("auth",),
    description="Works once per sign-in, in the browser that started it.",
    query=CallbackQuery,
    responses={302: None, 200: TokenIssued},
    errors=(
        github_signin.InvalidState,
        github_signin.SignInFailed,
        github_signin.SignInNotConfigured,
        ServiceUnavailable,
    ),
    security="none",
    rate_limit="auth",
)
async def callback(request: web.Request) -> web.StreamResponse:
    app = request.app
    if request.query.get("error"):
        raise github_signin.SignInFailed(f"GitHub answered: {request.query['error'][:100]}")
    signed = await github_signin.finish(
        pool=app[keys.POOL],
        redis=app[keys.REDIS],
        http=app[keys.HTTP],
        settings=app[keys.SETTINGS],
        keyring=app[keys.KEYRING],
        redirect_uri=redirect_uri(request),
        state=request.query.get("state"),
        code=request.query.get("code"),
        browser_secret=request.cookies.get(github_signin.BINDING_COOKIE),
    )
    if signed.mode == "token":
        response: web.StreamResponse = json_response(
            TokenIssued(
                token=signed.secret,
                user_id=signed.user_id,
                organization_id=signed.organization_id,
                note="Shown once: keep it, and send it as 'Authorization: Bearer <token>'.",
            )
        )
        response.headers["Cache-Control"] = "no-store"
    else:
        response = redirect(signed.next)
        _cookie(
            response,
            SESSION_COOKIE,
            signed.secret,
            "/",
            app[keys.SETTINGS].session_ttl_seconds,
        )
    response.del_cookie(github_signin.BINDING_COOKIE, path="/auth/github")
    return response


@routes.post("/auth/logout")
@operation(
    "Sign out: end the browser session",
    tags=("auth",),
    responses={204: None},
    errors=(Forbidden,),
    security="none",
    rate_limit="auth",
)
async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        if not same_origin(request):
            raise Forbidden("Cross-site request refused; sign out from this site's pages.")
        async with request.app[keys.POOL].acquire() as conn:
            await sessions_db.revoke(conn, token)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
