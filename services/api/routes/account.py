"""Who am I, and my API tokens: create (shown once), list, revoke."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from libs.common.db import members as members_db
from libs.common.db import orgs as orgs_db
from libs.common.db import tokens as tokens_db
from libs.common.db.members import User
from libs.common.db.orgs import Organization
from libs.common.schemas import TokenInfo
from services.api.http import keys
from services.api.http.body import decode, json_response, path_uuid
from services.api.http.errors import NotFound, Unauthorized, ValidationFailed
from services.api.http.paging import PageQuery, page_query, page_response
from services.api.http.spec import operation
from services.api.views import ListOf

routes = web.RouteTableDef()


class Me(msgspec.Struct, kw_only=True):
    user: User
    organization: Organization
    authenticated_by: Literal["token", "session"]


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    # A number, as JSON Schema's `integer` also admits 30.0: fractions of a day are fine.
    expires_in_days: Annotated[float, msgspec.Meta(ge=1, le=3650)] | None = None
    # Another organization you belong to; the token then acts in that organization.
    organization_id: uuid.UUID | None = None


class TokenCreated(TokenInfo, kw_only=True):
    organization_id: uuid.UUID
    token: str


@routes.get("/v1/me")
@operation("Who the credentials stand for", tags=("account",), responses={200: Me})
async def me(request: web.Request) -> web.Response:
    who = keys.principal(request)
    async with request.app[keys.POOL].acquire() as conn:
        user = await members_db.get_user(conn, who.user_id)
        org = await orgs_db.organization_for(conn, who.organization_id, who.user_id)
    if user is None or org is None:  # removed since the credentials were checked
        raise Unauthorized("These credentials no longer stand for a member.")
    kind: Literal["token", "session"] = "token" if who.token_id else "session"
    return json_response(Me(user=user, organization=org, authenticated_by=kind))


@routes.post("/v1/tokens")
@operation(
    "Create an API token (the token is shown in this response only)",
    tags=("account",),
    body=TokenCreate,
    responses={201: TokenCreated},
    errors=(ValidationFailed, NotFound),
)
async def create_token(request: web.Request) -> web.Response:
    who = keys.principal(request)
    body = await decode(request, TokenCreate)
    org_id = body.organization_id or who.organization_id
    expires = (
        dt.datetime.now(dt.UTC) + dt.timedelta(days=body.expires_in_days)
        if body.expires_in_days
        else None
    )
    async with request.app[keys.POOL].acquire() as conn:
        if await orgs_db.organization_for(conn, org_id, who.user_id) is None:
            raise NotFound("No such organization.")
        token, info = await tokens_db.create_token(
            conn, org_id, who.user_id, body.name, expires_at=expires
        )
    created = TokenCreated(**msgspec.structs.asdict(info), organization_id=org_id, token=token)
    response = json_response(created, status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/v1/tokens")
@operation(
    "List your tokens in this organization, newest first (never their values)",
    tags=("account",),
    query=PageQuery,
    responses={200: ListOf[TokenInfo]},
)
async def list_tokens(request: web.Request) -> web.Response:
    who = keys.principal(request)
    query, after = page_query(request, PageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        page = await tokens_db.list_tokens(
            conn, who.organization_id, who.user_id, after=after, limit=query.limit
        )
    return page_response(request, page)


@routes.delete("/v1/tokens/{id}")
@operation(
    "Revoke one of your tokens", tags=("account",), responses={204: None}, errors=(NotFound,)
)
async def revoke_token(request: web.Request) -> web.Response:
    who = keys.principal(request)
    async with request.app[keys.POOL].acquire() as conn:
        revoked = await tokens_db.revoke_token(
            conn, who.organization_id, who.user_id, path_uuid(request)
        )
    if not revoked:
        raise NotFound("No such live token.")
    return web.Response(status=204)
