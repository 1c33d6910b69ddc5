"""Lists a client can page through, job filters, removing a repository and cancelling a
job (queued: at once; running: at its next stage, by a real worker runner)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db import tokens
from libs.common.db.paging import Position
from libs.common.redis import keys as redis_keys
from libs.common.redis import streams
from libs.common.redis.events import decode as decode_event
from services.worker.deps import Deps
from services.worker.runner import JobContext, execute
from tests.conftest import Tenant
from tests.integration.api.conftest import Client


async def register(client: Client, tenant: Tenant, name: str) -> str:
    created = await client.post(
        "/v1/repos", json={"url": f"https://example.com/acme/{name}"}, headers=tenant.headers
    )
    assert created.status == 201
    repo_id: str = (await created.json())["id"]
    return repo_id


async def test_every_page_once_following_link_or_next_cursor(
    client: Client, tenant: Tenant
) -> None:
    made = [await register(client, tenant, f"r{i}") for i in range(5)]
    seen: list[str] = []
    url: str | None = "/v1/repos?limit=2"
    pages = 0
    while url is not None:
        response = await client.get(url, headers=tenant.headers)
        assert response.status == 200
        body = await response.json()
        seen += [r["id"] for r in body["items"]]
        pages += 1
        link = response.headers.get("Link")
        if body["next_cursor"] is None:
            assert link is None
            url = None
        else:
            assert link == f'</v1/repos?limit=2&cursor={body["next_cursor"]}>; rel="next"'
            url = link[1 : link.index(">")]
    assert pages == 3
    assert seen == list(reversed(made))  # newest first, each once
    by_cursor = await client.get("/v1/repos?limit=4", headers=tenant.headers)
    first = await by_cursor.json()
    rest = await client.get(
        f"/v1/repos?limit=4&cursor={first['next_cursor']}", headers=tenant.headers
    )
    assert [r["id"] for r in (await rest.json())["items"]] == [made[0]]


@pytest.mark.parametrize(
    "path", ["/v1/repos", "/v1/jobs", "/v1/tokens", "/v1/orgs", "/v1/orgs/{org}/members"]
)
async def test_every_list_takes_a_limit_and_refuses_a_made_up_cursor(
    client: Client, tenant: Tenant, path: str
) -> None:
    path = path.format(org=tenant.organization_id)
    one = await client.get(f"{path}?limit=1", headers=tenant.headers)
    assert one.status == 200
    assert len((await one.json())["items"]) <= 1
    for query, field in (("cursor=abc", "cursor"), ("limit=0", "limit"), ("limit=101", "limit")):
        bad = await client.get(f"{path}?{query}", headers=tenant.headers)
        assert bad.status == 400
        problem = await bad.json()
        assert problem["type"] == "/problems/invalid-parameter"
        assert problem["errors"][0]["field"] == field


async def test_tokens_and_members_page_too(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    for i in range(3):
        await tokens.create_token(db, tenant.organization_id, tenant.user_id, f"t{i}")
    first = await (await client.get("/v1/tokens?limit=2", headers=tenant.headers)).json()
    second = await (
        await client.get(
            f"/v1/tokens?limit=2&cursor={first['next_cursor']}", headers=tenant.headers
        )
    ).json()
    names = [t["name"] for t in first["items"] + second["items"]]
    assert names == ["t2", "t1", "t0", "test"]
    assert second["next_cursor"] is None


async def test_jobs_filter_by_status_kind_and_repository(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = await register(client, tenant, "a"), await register(client, tenant, "b")
    sync_a = await (await client.post(f"/v1/repos/{a}/sync", headers=tenant.headers)).json()
    sync_b = await (await client.post(f"/v1/repos/{b}/sync", headers=tenant.headers)).json()
    analysis = await client.post(
        f"/v1/repos/{a}/analyze", json={"commit": "a" * 40}, headers=tenant.headers
    )
    analysis_a = await analysis.json()
    await client.post(f"/v1/jobs/{sync_b['id']}/cancel", headers=tenant.headers)

    async def ids(query: str, who: Tenant = tenant) -> list[str]:
        response = await client.get(f"/v1/jobs?{query}", headers=who.headers)
        assert response.status == 200, await response.text()
        return [j["id"] for j in (await response.json())["items"]]

    assert await ids("") == [analysis_a["id"], sync_b["id"], sync_a["id"]]
    assert await ids(f"repository_id={a}") == [analysis_a["id"], sync_a["id"]]
    assert await ids("kind=sync") == [sync_b["id"], sync_a["id"]]
    assert await ids("status=cancelled") == [sync_b["id"]]
    assert await ids(f"status=queued&kind=sync&repository_id={a}") == [sync_a["id"]]
    assert await ids(f"repository_id={a}", other_tenant) == []
    bad = await client.get("/v1/jobs?status=done", headers=tenant.headers)
    assert (await bad.json())["errors"][0]["field"] == "status"


async def test_deleting_a_repository_removes_its_work_and_only_in_its_organization(
    client: Client, db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    repo = await register(client, tenant, "gone")
    await client.post(f"/v1/repos/{repo}/sync", headers=tenant.headers)
    theirs = await client.delete(f"/v1/repos/{repo}", headers=other_tenant.headers)
    assert theirs.status == 404
    assert (await client.get(f"/v1/repos/{repo}", headers=tenant.headers)).status == 200
    deleted = await client.delete(f"/v1/repos/{repo}", headers=tenant.headers)
    assert deleted.status == 204
    assert (await client.get(f"/v1/repos/{repo}", headers=tenant.headers)).status == 404
    assert (await client.delete(f"/v1/repos/{repo}", headers=tenant.headers)).status == 404
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE repository_id = $1", repo) == 0


async def job_events(redis: Redis, job_id: str) -> list[str]:
    entries = await streams.read_after(redis, redis_keys.job_events(job_id), "0-0", block_ms=None)
    return [decode_event(fields).type for _, fields in entries or []]


async def test_a_queued_job_is_cancelled_at_once_and_never_runs(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant, other_tenant: Tenant
) -> None:
    repo = await register(client, tenant, "c")
    job = await (await client.post(f"/v1/repos/{repo}/sync", headers=tenant.headers)).json()
    theirs = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=other_tenant.headers)
    assert theirs.status == 404
    cancelled = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=tenant.headers)
    assert cancelled.status == 200
    body = await cancelled.json()
    assert (body["status"], body["error_type"]) == ("cancelled", "cancelled")
    again = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=tenant.headers)
    assert (await again.json())["status"] == "cancelled"
    assert await job_events(redis, job["id"]) == ["cancelled"]  # once, and the stream ends
    # The arq job still in the queue finds a finished row and does nothing.
    deps = await Deps.create(settings)
    ran: list[str] = []

    async def handler(jc: JobContext) -> dict[str, Any]:
        ran.append("ran")
        return {}

    try:
        payload = {"job_id": job["id"], "organization_id": str(tenant.organization_id)}
        await execute({"deps": deps}, payload, "sync", handler, 30.0)
    finally:
        await deps.close()
    assert ran == []
    # A new sync may start: the cancelled one no longer holds the dedup key.
    fresh = await (await client.post(f"/v1/repos/{repo}/sync", headers=tenant.headers)).json()
    assert fresh["id"] != job["id"]


async def test_a_running_job_stops_at_its_next_stage(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    repo = await register(client, tenant, "d")
    job = await (await client.post(f"/v1/repos/{repo}/sync", headers=tenant.headers)).json()
    at_first_stage, go_on = asyncio.Event(), asyncio.Event()
    reached: list[str] = []

    async def handler(jc: JobContext) -> dict[str, Any]:
        await jc.progress("one", "first stage")
        reached.append("one")
        at_first_stage.set()
        await go_on.wait()
        await jc.progress("two", "second stage")
        reached.append("two")
        return {}

    deps = await Deps.create(settings)
    try:
        payload = {"job_id": job["id"], "organization_id": str(tenant.organization_id)}
        running = asyncio.create_task(execute({"deps": deps}, payload, "sync", handler, 30.0))
        await asyncio.wait_for(at_first_stage.wait(), 10)
        asked = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=tenant.headers)
        assert (await asked.json())["status"] == "running"  # until the next stage
        go_on.set()
        await asyncio.wait_for(running, 10)
    finally:
        await deps.close()
    assert reached == ["one"]
    done = await (await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)).json()
    assert (done["status"], done["error"]) == ("cancelled", "cancelled while it ran")
    assert await job_events(redis, job["id"]) == ["started", "progress", "cancelled"]
    listed = await client.get("/v1/jobs?status=cancelled", headers=tenant.headers)
    assert [j["id"] for j in (await listed.json())["items"]] == [job["id"]]


def test_a_cursor_names_a_position_exactly() -> None:
    at = dt.datetime(2026, 12, 6, 13, 56, 32, 123456, tzinfo=dt.UTC)
    position = Position(at, uuid.UUID(int=7))
    assert Position.from_cursor(position.cursor()) == position
    for bad in ("", "12", "12-xyz", "1-" + "0" * 31, "x" + position.cursor()):
        with pytest.raises(ValueError, match="cursor"):
            Position.from_cursor(bad)
