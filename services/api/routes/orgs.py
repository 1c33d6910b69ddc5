"""Organizations and members: list, create, read; add, change and remove members."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from aiohttp import web

from libs.common.db import members as members_db
from libs.common.db import orgs as orgs_db
from libs.common.db.members import Member
from libs.common.db.orgs import Organization
from libs.common.schemas import Role
from services.api import membership
from services.api.http import keys
from services.api.http.body import decode, json_response, path_uuid
from services.api.http.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.api.http.paging import PageQuery, page_query, page_response
from services.api.http.spec import operation
from services.api.views import ListOf

routes = web.RouteTableDef()
Login = Annotated[str, msgspec.Meta(min_length=1, max_length=39, pattern=r"^[A-Za-z0-9-]+$(?!\n)")]


class OrganizationCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slug: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=40,
            pattern=membership.SLUG_PATTERN,
            description="Lowercase letters, digits and inner hyphens.",
        ),
    ]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class MemberAdd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    login: Login
    role: Role = "member"


class RoleChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    role: Role


@routes.get("/v1/orgs")
@operation(
    "List the organizations you belong to, oldest first",
    tags=("organizations",),
    query=PageQuery,
    responses={200: ListOf[Organization]},
)
async def list_organizations(request: web.Request) -> web.Response:
    who = keys.principal(request)
    query, after = page_query(request, PageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        page = await orgs_db.organizations_of(conn, who.user_id, after=after, limit=query.limit)
    return page_response(request, page)


@routes.post("/v1/orgs")
@operation(
    "Create an organization (you become its owner)",
    tags=("organizations",),
    description="Work in it with a token created for it: POST /v1/tokens with organization_id.",
    body=OrganizationCreate,
    responses={201: Organization},
    errors=(ValidationFailed, Conflict),
)
async def create_organization(request: web.Request) -> web.Response:
    body = await decode(request, OrganizationCreate)
    async with request.app[keys.POOL].acquire() as conn:
        org = await membership.create(
            conn,
            keys.principal(request),
            body.slug,
            body.name,
            reserved=request.app[keys.SETTINGS].admin_organization,
        )
    response = json_response(org, status=201)
    response.headers["Location"] = f"/v1/orgs/{org.id}"
    return response


@routes.get("/v1/orgs/{id}")
@operation(
    "Read an organization you belong to",
    tags=("organizations",),
    responses={200: Organization},
    errors=(NotFound,),
)
async def get_organization(request: web.Request) -> web.Response:
    async with request.app[keys.POOL].acquire() as conn:
        org = await membership.visible(conn, keys.principal(request), path_uuid(request))
    return json_response(org)


@routes.get("/v1/orgs/{id}/members")
@operation(
    "List an organization's members, in the order they joined",
    tags=("organizations",),
    query=PageQuery,
    responses={200: ListOf[Member]},
    errors=(NotFound,),
)
async def list_members(request: web.Request) -> web.Response:
    org_id = path_uuid(request)
    query, after = page_query(request, PageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        await membership.visible(conn, keys.principal(request), org_id)
        page = await members_db.list_members(conn, org_id, after=after, limit=query.limit)
    return page_response(request, page)


@routes.post("/v1/orgs/{id}/members")
@operation(
    "Add a member (owners and admins; owner role by owners only)",
    tags=("organizations",),
    description="The user must have signed in here once (GitHub sign-in creates users).",
    body=MemberAdd,
    responses={201: Member},
    errors=(NotFound, Forbidden, ValidationFailed, Conflict),
)
async def add_member(request: web.Request) -> web.Response:
    org_id = path_uuid(request)
    body = await decode(request, MemberAdd)
    async with request.app[keys.POOL].acquire() as conn:
        member = await membership.add_member(
            conn, keys.principal(request), org_id, body.login, body.role
        )
    return json_response(member, status=201)


def _member_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "user_id")


@routes.patch("/v1/orgs/{id}/members/{user_id}")
@operation(
    "Change a member's role",
    tags=("organizations",),
    body=RoleChange,
    responses={200: Member},
    errors=(NotFound, Forbidden, ValidationFailed, membership.LastOwner, membership.PersonalOwner),
)
async def change_role(request: web.Request) -> web.Response:
    org_id, user_id = path_uuid(request), _member_id(request)
    body = await decode(request, RoleChange)
    async with request.app[keys.POOL].acquire() as conn:
        member = await membership.change_role(
            conn, keys.principal(request), org_id, user_id, body.role
        )
    return json_response(member)


@routes.delete("/v1/orgs/{id}/members/{user_id}")
@operation(
    "Remove a member (or leave, with your own id)",
    tags=("organizations",),
    description="Their tokens and sessions for this organization stop working at once.",
    responses={204: None},
    errors=(NotFound, Forbidden, membership.LastOwner, membership.PersonalOwner),
)
async def remove_member(request: web.Request) -> web.Response:
    org_id, user_id = path_uuid(request), _member_id(request)
    async with request.app[keys.POOL].acquire() as conn:
        await membership.remove_member(conn, keys.principal(request), org_id, user_id)
    return web.Response(status=204)
