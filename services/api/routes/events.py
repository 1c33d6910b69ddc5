"""GET /v1/events: the organization's live event stream (every job's events)."""

from __future__ import annotations

from aiohttp import web

from libs.common.redis import keys as redis_keys
from services.api.http import keys, sse
from services.api.http.errors import BadRequest
from services.api.http.spec import EVENT_STREAM, operation
from services.api.http.stream_cap import TooManyStreams

routes = web.RouteTableDef()


@routes.get("/v1/events")
@operation(
    "Follow every job of the organization (server-sent events)",
    tags=("events",),
    description=sse.DESCRIPTION + " This stream does not end on a terminal job event.",
    query=sse.ResumeQuery,
    headers=sse.RESUME_HEADERS,
    responses={200: EVENT_STREAM},
    errors=(BadRequest, TooManyStreams),
    # Opening a stream is authenticated and costs one subscription, not a request's work;
    # a browser's reconnects must not use up the budget of its other requests.
    rate_limit="none",
)
async def organization_events(request: web.Request) -> web.StreamResponse:
    who = keys.principal(request)
    stream_key = redis_keys.org_events(str(who.organization_id))
    return await sse.stream(request, stream_key, kind="organization", end_on_terminal=False)
