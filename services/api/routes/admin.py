"""Operator routes: queue depths, and the top AI users (the runbook's billing-spike query).

Only owners and admins of the operator organization (ADMIN_ORGANIZATION) may call them:
these figures span every tenant, so an owner of any other organization may not.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from libs.common.db import ai_usage
from libs.common.db import orgs as orgs_db
from libs.common.redis import keys as redis_keys
from libs.common.redis import queue
from libs.common.schemas import KINDS
from services.api.http import keys
from services.api.http.body import decode_query, json_response
from services.api.http.errors import Forbidden
from services.api.http.spec import operation

routes = web.RouteTableDef()


class QueueDepth(msgspec.Struct, kw_only=True):
    name: str
    waiting: int
    oldest_age_seconds: float | None


class WebhookStream(msgspec.Struct, kw_only=True):
    waiting: int
    pending: int
    consumers: int
    dead_letters: int


class Queues(msgspec.Struct, kw_only=True):
    queues: list[QueueDepth]
    webhooks: WebhookStream


async def require_admin(request: web.Request) -> None:
    who = keys.principal(request)
    wanted = request.app[keys.SETTINGS].admin_organization
    if who.role in ("owner", "admin"):
        async with request.app[keys.POOL].acquire() as conn:
            if await orgs_db.slug_of(conn, who.organization_id) == wanted:
                return
    raise Forbidden(
        f"Admin routes are for owners and admins of the operator organization '{wanted}'."
    )


async def webhook_stream(redis: Redis) -> WebhookStream:
    try:
        groups = await redis.xinfo_groups(redis_keys.WEBHOOKS_STREAM)
    except ResponseError:  # no stream yet: nothing ever arrived
        groups = []
    ingest = next((g for g in groups if g["name"] == redis_keys.WEBHOOKS_GROUP.encode()), None)
    return WebhookStream(
        waiting=int(await redis.xlen(redis_keys.WEBHOOKS_STREAM)),
        pending=int(ingest["pending"]) if ingest else 0,
        consumers=int(ingest["consumers"]) if ingest else 0,
        dead_letters=int(await redis.xlen(redis_keys.WEBHOOKS_DEAD_LETTER)),
    )


@routes.get("/v1/admin/queues")
@operation(
    "Queue depths: jobs waiting per queue, webhook deliveries waiting and dead-lettered",
    tags=("admin",),
    responses={200: Queues},
    errors=(Forbidden,),
)
async def queue_depths(request: web.Request) -> web.Response:
    await require_admin(request)
    return json_response(await queues_of(request.app[keys.REDIS]))


async def queues_of(redis: Redis) -> Queues:
    """Every queue's depth and the webhook stream's (the dashboard shows the same)."""
    depths = []
    for kind in KINDS:
        waiting, age = await queue.depth(redis, kind)
        rounded = round(age, 3) if age is not None else None
        depths.append(QueueDepth(name=kind, waiting=waiting, oldest_age_seconds=rounded))
    return Queues(queues=depths, webhooks=await webhook_stream(redis))


class TopUsersQuery(msgspec.Struct, kw_only=True):
    hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 31)] = 24
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10


class TopUsers(msgspec.Struct, kw_only=True):
    hours: int
    items: list[ai_usage.TopUser]


@routes.get("/v1/admin/ai-usage/top")
@operation(
    "The heaviest AI users of the last hours, across every organization",
    tags=("admin",),
    description="The runbook's billing-spike query: tokens (thinking included) and calls.",
    query=TopUsersQuery,
    responses={200: TopUsers},
    errors=(Forbidden,),
)
async def top_ai_users(request: web.Request) -> web.Response:
    await require_admin(request)
    query = decode_query(request, TopUsersQuery)
    async with request.app[keys.POOL].acquire() as conn:
        # None: across every organization, which require_admin has just allowed
        found = await ai_usage.top_users(conn, None, hours=query.hours, limit=query.limit)
    return json_response(TopUsers(hours=query.hours, items=found))
