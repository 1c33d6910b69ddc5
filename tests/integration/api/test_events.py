"""Live events over SSE: exact resume, resync after trimming, keep-alives, clean shutdown."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import asyncpg
import msgspec
from aiohttp import web
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db import tokens
from libs.common.redis import events, keys
from services.api.app import create_app
from tests.conftest import Tenant
from tests.helpers import SseEvent, parse_sse
from tests.integration.api.conftest import Client, ClientFactory


async def publish(
    redis: Redis, settings: Settings, tenant: Tenant, job_id: str, n: int, start: int = 1
) -> None:
    for i in range(start, start + n):
        event = events.JobEvent(type="progress", job_id=job_id, kind="sync", message=f"step {i}")
        await events.publish(redis, settings, str(tenant.organization_id), event)


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[SseEvent]:
    """Read until `count` events arrived (comments skipped), then stop reading."""
    buffer = ""
    async with asyncio.timeout(10):
        while True:
            found = parse_sse(buffer)
            if len(found) >= count and buffer.endswith("\n\n"):
                return found
            chunk = await response.content.readany()
            assert chunk, "stream ended early"
            buffer += chunk.decode()


def messages(found: list[SseEvent]) -> list[str]:
    return [msgspec.json.decode(e.data)["message"] for e in found]


async def test_org_stream_resumes_after_the_last_event_exactly(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    job_id = str(uuid.uuid4())
    await publish(redis, settings, tenant, job_id, 4)
    first = await client.get("/v1/events", headers=tenant.headers)
    assert first.status == 200
    assert first.content_type == "text/event-stream"
    got = await read_events(first, 4)
    assert messages(got) == [f"step {i}" for i in range(1, 5)]
    first.close()  # disconnect at event k = 4
    await publish(redis, settings, tenant, job_id, 6, start=5)
    again = await client.get(
        "/v1/events", headers=tenant.headers | {"Last-Event-ID": got[-1].id or ""}
    )
    resumed = await read_events(again, 6)
    again.close()
    assert messages(resumed) == [f"step {i}" for i in range(5, 11)]
    ids = [e.id for e in got + resumed]
    assert len(set(ids)) == 10
    assert ids == sorted(ids, key=lambda i: tuple(int(x) for x in (i or "0-0").split("-")))


async def test_job_stream_resume_ends_at_the_terminal_event(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/a/b"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    job = await (await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)).json()
    await publish(redis, settings, tenant, job["id"], 3)
    first = await client.get(f"/v1/jobs/{job['id']}/events", headers=tenant.headers)
    got = await read_events(first, 2)
    first.close()
    done = events.JobEvent(type="succeeded", job_id=job["id"], kind="sync", message="done")
    await events.publish(redis, settings, str(tenant.organization_id), done)
    again = await client.get(
        f"/v1/jobs/{job['id']}/events", headers=tenant.headers | {"Last-Event-ID": got[1].id or ""}
    )
    rest = parse_sse(await again.text())  # the stream ends by itself after `succeeded`
    assert [e.event for e in rest] == ["progress", "succeeded"]
    assert messages(rest) == ["step 3", "done"]
    # An EventSource reconnects with the terminal event's id: 204, so it stops, instead
    # of a stream that stays open for the retention period.
    after_end = await client.get(
        f"/v1/jobs/{job['id']}/events",
        headers=tenant.headers | {"Last-Event-ID": rest[-1].id or ""},
    )
    assert after_end.status == 204
    assert await after_end.read() == b""
    # An id from the future was never this stream's: `resync` as the docs promise, then
    # the whole stream, which ends at its terminal event.
    future = await client.get(
        f"/v1/jobs/{job['id']}/events",
        headers=tenant.headers | {"Last-Event-ID": "9999999999999-0"},
    )
    assert future.status == 200
    replay = parse_sse(await future.text())
    assert replay[0].event == "resync"
    assert msgspec.json.decode(replay[0].data)["reason"] == "unknown event id"
    assert messages(replay[1:]) == ["step 1", "step 2", "step 3", "done"]


async def test_an_id_older_than_the_retained_stream_gets_resync(
    aiohttp_client: ClientFactory, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    small = msgspec.structs.replace(settings, event_stream_maxlen=10)
    client: Client = await aiohttp_client(create_app(small))
    job_id = str(uuid.uuid4())
    await publish(redis, small, tenant, job_id, 1)
    [(oldest_id, _)] = await redis.xrange(keys.org_events(str(tenant.organization_id)))
    await publish(redis, small, tenant, job_id, 400, start=2)  # MAXLEN ~100 trims the start
    retained = await redis.xrange(keys.org_events(str(tenant.organization_id)))
    assert len(retained) < 401
    response = await client.get(
        "/v1/events", headers=tenant.headers | {"Last-Event-ID": oldest_id.decode()}
    )
    found = await read_events(response, 1 + len(retained))
    response.close()
    assert found[0].event == "resync"
    notice = msgspec.json.decode(found[0].data)
    assert notice["oldest_event_id"] == retained[0][0].decode()
    # Then everything still retained, in order, from the oldest.
    assert [e.id for e in found[1:]] == [i.decode() for i, _ in retained]


async def test_an_expired_org_stream_gets_resync(client: Client, tenant: Tenant) -> None:
    response = await client.get(
        "/v1/events", headers=tenant.headers | {"Last-Event-ID": "1700000000000-0"}
    )
    [notice] = await read_events(response, 1)
    response.close()
    assert notice.event == "resync"
    assert msgspec.json.decode(notice.data)["reason"] == "stream expired"


async def test_idle_streams_get_keep_alive_comments(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    quick = msgspec.structs.replace(settings, sse_keepalive_seconds=0.1)
    client: Client = await aiohttp_client(create_app(quick))
    response = await client.get("/v1/events", headers=tenant.headers)
    seen = b""
    async with asyncio.timeout(10):
        while seen.count(b": keep-alive\n\n") < 2:
            seen += await response.content.readany()
    response.close()


async def test_an_open_stream_has_the_request_headers_and_counts_in_flight(
    client: Client, tenant: Tenant
) -> None:
    given = {"X-Request-ID": "stream-check-1"}
    response = await client.get("/v1/events", headers=tenant.headers | given)
    assert response.headers["X-Request-ID"] == "stream-check-1"
    # Opening a stream spends no request budget (a reconnecting browser would drain it).
    assert "RateLimit-Remaining" not in response.headers
    scraped = await (await client.get("/metrics")).text()
    response.close()
    # The open stream and the scrape itself.
    assert "autodevops_http_requests_in_flight 2.0" in scraped
    async with asyncio.timeout(10):  # until the server notices the closed stream
        while "autodevops_http_requests_in_flight 1.0" not in scraped:
            await asyncio.sleep(0.02)
            scraped = await (await client.get("/metrics")).text()


async def test_a_revoked_token_ends_its_open_stream(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, db: asyncpg.Connection
) -> None:
    quick = msgspec.structs.replace(settings, sse_keepalive_seconds=0.1)
    client: Client = await aiohttp_client(create_app(quick))
    token, info = await tokens.create_token(db, tenant.organization_id, tenant.user_id, "s")
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.get("/v1/events", headers=headers)
    seen = await response.content.readuntil(b": keep-alive\n\n")  # still allowed
    await tokens.revoke_token(db, tenant.organization_id, tenant.user_id, info.id)
    async with asyncio.timeout(10):
        seen += await response.content.read()  # the server ends the stream
    assert seen.endswith(b": credentials no longer valid\n\n")
    assert (await client.get("/v1/events", headers=headers)).status == 401


async def test_malformed_last_event_id_is_400(client: Client, tenant: Tenant) -> None:
    for path in ("/v1/events", "/v1/events?last_event_id=yesterday"):
        headers = tenant.headers | ({"Last-Event-ID": "x; drop"} if "?" not in path else {})
        response = await client.get(path, headers=headers)
        assert response.status == 400, path
    # Ids Redis would refuse: past 64 bits, or digits of another script.
    for bad in ("99999999999999999999-0", "0-18446744073709551616", "\uff11-0"):
        response = await client.get(
            "/v1/events", params={"last_event_id": bad}, headers=tenant.headers
        )
        assert response.status == 400, bad
    ok = await client.get(
        "/v1/events", params={"last_event_id": "18446744073709551615-0"}, headers=tenant.headers
    )
    assert ok.status == 200
    ok.close()


async def test_an_id_from_the_future_starts_over_with_resync(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    await publish(redis, settings, tenant, str(uuid.uuid4()), 3)
    response = await client.get(
        "/v1/events", headers=tenant.headers | {"Last-Event-ID": "9999999999999-0"}
    )
    found = await read_events(response, 4)
    response.close()
    assert found[0].event == "resync"
    assert msgspec.json.decode(found[0].data)["reason"] == "unknown event id"
    assert messages(found[1:]) == ["step 1", "step 2", "step 3"]


async def test_stopping_the_api_ends_every_open_stream_cleanly(
    settings: Settings, tenant: Tenant
) -> None:
    runner = web.AppRunner(create_app(settings), shutdown_timeout=60)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        responses = [
            await session.get(f"http://127.0.0.1:{port}/v1/events", headers=tenant.headers)
            for _ in range(3)
        ]
        for response in responses:
            assert (await response.content.readany()).startswith(b"retry:")
        bodies = asyncio.gather(*(r.content.read() for r in responses))
        # Well inside the 60 s shutdown timeout: the streams end, they are not waited out.
        async with asyncio.timeout(10):
            await runner.cleanup()
            ends = await bodies
    for end in ends:
        assert b"server shutting down" in end
