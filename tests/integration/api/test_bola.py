"""Broken object-level authorization: another organization's token gets 404 for every
object route (the matrix is built from the router, so a new route cannot be missed)."""

from __future__ import annotations

import asyncio
import re
import uuid

import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.analysis.report import REPORT_VERSION, Report
from libs.common.config import Settings
from libs.common.db import analyses as analyses_db
from libs.common.redis import events
from services.api.http.openapi import documented_routes
from tests.conftest import Tenant
from tests.integration.api.conftest import Client
from tests.integration.api.test_events import read_events

PROBLEM = "application/problem+json"
# A body each mutating route would accept from the owner, so a 404 is about the object.
BODIES: dict[tuple[str, str], object] = {
    ("PATCH", "/v1/orgs/{id}/members/{user_id}"): {"role": "member"},
    ("POST", "/v1/orgs/{id}/members"): {"login": "mallory", "role": "member"},
    ("PATCH", "/v1/repos/{id}/settings"): {"badge_public": True},
}


async def victim_objects(client: Client, db: asyncpg.Connection, tenant: Tenant) -> dict[str, str]:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/victim/app"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    job = await (await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)).json()
    token = await (
        await client.post("/v1/tokens", json={"name": "x"}, headers=tenant.headers)
    ).json()
    analysis = await analyses_db.store_analysis(
        db,
        tenant.organization_id,
        repository_id=uuid.UUID(repo_id),
        job_id=uuid.UUID(job["id"]),
        commit_sha="a" * 40,
        branch="main",
        content_digest="d",
        report_version=REPORT_VERSION,
        report=msgspec.json.encode(Report()),
        health_score=50,
        ai_status="off",
        ai_model=None,
    )
    return {
        "/v1/analyses/": str(analysis.id),
        "/v1/repos/": repo_id,
        "/v1/jobs/": job["id"],
        "/v1/orgs/": str(tenant.organization_id),
        "/v1/tokens/": token["id"],
        "user_id": str(tenant.user_id),
    }


def fill(path: str, objects: dict[str, str]) -> str | None:
    """The path with the victim's ids, or None when the matrix does not know the route."""
    prefix = re.match(r"^(/v1/\w+/)\{id\}", path)
    if prefix is None or prefix.group(1) not in objects:
        return None
    filled = path.replace("{id}", objects[prefix.group(1)], 1)
    return filled.replace("{user_id}", objects["user_id"])


async def test_every_object_route_is_404_for_another_organization(
    client: Client, db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    objects = await victim_objects(client, db, tenant)
    app = client.app
    assert app is not None
    object_routes = [
        (method, path)
        for method, path, _, _ in documented_routes(app)
        if path.startswith("/v1/") and "{" in path
    ]
    unknown = [(m, p) for m, p in object_routes if fill(p, objects) is None]
    assert unknown == [], "add these routes to the BOLA matrix"
    assert len(object_routes) >= 10
    for method, path in object_routes:
        target = fill(path, objects)
        assert target is not None
        body = BODIES.get((method, path))
        response = await client.request(method, target, json=body, headers=other_tenant.headers)
        assert response.status == 404, (method, path, response.status)
        assert response.content_type == PROBLEM
        # The same request by the owner is not a 404: the object exists.
        if method == "GET" and not path.endswith("/events"):
            owner = await client.request(method, target, headers=tenant.headers)
            assert owner.status == 200, (method, path)


async def test_the_organization_stream_shows_only_your_organization(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await client.get("/v1/events", headers=other_tenant.headers)
    await asyncio.sleep(0.1)  # the stream is open before anything is published

    async def publish(who: Tenant, message: str) -> None:
        event = events.JobEvent(
            type="progress", job_id=str(uuid.uuid4()), kind="sync", message=message
        )
        await events.publish(redis, settings, str(who.organization_id), event)

    await publish(tenant, "secret of alice")
    await publish(other_tenant, "for mallory")
    [seen] = await read_events(theirs, 1)
    theirs.close()
    assert msgspec.json.decode(seen.data)["message"] == "for mallory"
