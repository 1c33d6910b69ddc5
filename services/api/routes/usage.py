"""GET /v1/usage: your AI tokens today and this month against the daily quota."""

from __future__ import annotations

from aiohttp import web

from services.api import quota
from services.api.http import keys
from services.api.http.body import json_response
from services.api.http.spec import operation

routes = web.RouteTableDef()


@routes.get("/v1/usage")
@operation(
    "Your AI token usage in this organization, today and this month (UTC), and your quota",
    tags=("usage",),
    responses={200: quota.Usage},
)
async def get_usage(request: web.Request) -> web.Response:
    async with request.app[keys.POOL].acquire() as conn:
        found = await quota.usage(conn, request.app[keys.SETTINGS], keys.principal(request))
    return json_response(found)
