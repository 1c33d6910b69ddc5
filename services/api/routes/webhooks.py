"""POST /webhooks/github: GitHub deliveries in, 202 once they are safely in Redis."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from libs.common.redis import webhook_stream
from services.api import webhook_intake
from services.api.http import gcra, keys
from services.api.http.body import json_response
from services.api.http.errors import (
    AppError,
    BadRequest,
    BadSignature,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from services.api.http.spec import operation

routes = web.RouteTableDef()


class DeliveryAccepted(msgspec.Struct, kw_only=True):
    status: str
    delivery: str
    event: str


_OUTCOMES = {
    BadSignature: "bad_signature",
    PayloadTooLarge: "too_large",
    ServiceUnavailable: "unavailable",
    gcra.RateLimited: "rate_limited",
}


@routes.post("/webhooks/github")
@operation(
    "Receive a GitHub webhook delivery",
    tags=("webhooks",),
    description=(
        "Verifies X-Hub-Signature-256 over the raw body (the repository's secret or "
        "GITHUB_WEBHOOK_SECRET), then queues the delivery for the worker. A redelivery of "
        "a stored delivery (same X-GitHub-Hook-ID and X-GitHub-Delivery) answers 200 and "
        "queues nothing. Bodies up to 25 MiB (WEBHOOK_MAX_BODY_BYTES). A hook whose "
        "signatures keep failing from one address (RATE_LIMIT_AUTH_REQUESTS per window) gets "
        "429 before its secrets are looked up again."
    ),
    body=dict[str, Any],
    headers={
        "X-GitHub-Event": "The event name (push, pull_request, ping, ...).",
        "X-GitHub-Delivery": "The delivery GUID.",
        "X-GitHub-Hook-ID": "The id of the hook that sent it.",
        "X-Hub-Signature-256": "sha256=<hex HMAC-SHA256 of the body>.",
    },
    responses={202: DeliveryAccepted, 200: DeliveryAccepted},
    errors=(
        BadRequest,
        BadSignature,
        PayloadTooLarge,
        UnsupportedMediaType,
        gcra.RateLimited,
        ServiceUnavailable,
    ),
    security="webhook",
    rate_limit="none",
)
async def receive(request: web.Request) -> web.Response:
    metrics = request.app[keys.HTTP_METRICS]
    event = request.headers.get("X-GitHub-Event", "")
    label = webhook_stream.metric_label(event)
    try:
        outcome = await webhook_intake.receive(request, request.app[keys.WEBHOOK_INTAKE])
    except AppError as exc:
        metrics.count_delivery(label, _OUTCOMES.get(type(exc), "rejected"))
        raise
    except Exception:
        metrics.count_delivery(label, "unavailable")
        raise
    if outcome.entry_id is None:
        metrics.count_delivery(label, "duplicate")
        body = DeliveryAccepted(status="duplicate", delivery=outcome.delivery, event=outcome.event)
        return json_response(body, status=200)
    metrics.count_delivery(label, "accepted")
    body = DeliveryAccepted(status="accepted", delivery=outcome.delivery, event=outcome.event)
    return json_response(body, status=202)
