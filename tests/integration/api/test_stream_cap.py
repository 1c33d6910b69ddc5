"""The cap on open event streams per credential: a clear 429 past it, and a stream's place
given back however it ends (closed, dropped without a word, or its job finished)."""

from __future__ import annotations

import asyncio
import socket
import struct

import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db import tokens
from libs.common.redis import events
from libs.common.redis import keys as redis_keys
from services.api.app import create_app
from tests.conftest import Tenant
from tests.integration.api.conftest import Client, ClientFactory


async def capped_client(aiohttp_client: ClientFactory, settings: Settings) -> Client:
    # A short keep-alive makes the tick that notices dropped clients come quickly.
    small = msgspec.structs.replace(
        settings, sse_max_streams_per_credential=2, sse_keepalive_seconds=0.4
    )
    client: Client = await aiohttp_client(create_app(small))
    return client


async def open_count(redis: Redis, tenant: Tenant) -> int:
    found = await redis.keys(redis_keys.event_stream_leases("*"))
    return sum([await redis.zcard(key) for key in found])


async def wait_for_count(redis: Redis, tenant: Tenant, wanted: int) -> None:
    async with asyncio.timeout(10):
        while await open_count(redis, tenant) != wanted:
            await asyncio.sleep(0.05)


async def test_past_the_cap_a_stream_is_refused_with_a_problem_and_others_are_not(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, db: asyncpg.Connection
) -> None:
    client = await capped_client(aiohttp_client, settings)
    held = [await client.get("/v1/events", headers=tenant.headers) for _ in range(2)]
    assert [r.status for r in held] == [200, 200]
    refused = await client.get("/v1/events", headers=tenant.headers)
    assert refused.status == 429
    assert refused.content_type == "application/problem+json"
    assert refused.headers["Retry-After"] == "5"
    problem = await refused.json()
    assert problem["type"].endswith("/too-many-event-streams")
    assert "At most 2 event streams" in problem["detail"]
    assert "2 are" in problem["detail"]
    # The cap is per credential: the same user's other token still opens a stream, and
    # a job's stream counts against the same cap as the organization's.
    token, _ = await tokens.create_token(db, tenant.organization_id, tenant.user_id, "other")
    other = await client.get("/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert other.status == 200
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/a/b"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    job = await (await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)).json()
    refused_job = await client.get(f"/v1/jobs/{job['id']}/events", headers=tenant.headers)
    assert refused_job.status == 429
    for response in [*held, other]:
        response.close()


async def test_a_closed_stream_gives_its_place_back(
    aiohttp_client: ClientFactory, settings: Settings, redis: Redis, tenant: Tenant
) -> None:
    client = await capped_client(aiohttp_client, settings)
    first = await client.get("/v1/events", headers=tenant.headers)
    second = await client.get("/v1/events", headers=tenant.headers)
    assert (first.status, second.status) == (200, 200)
    await wait_for_count(redis, tenant, 2)
    first.close()
    await wait_for_count(redis, tenant, 1)
    third = await client.get("/v1/events", headers=tenant.headers)
    assert third.status == 200
    second.close()
    third.close()
    await wait_for_count(redis, tenant, 0)


async def test_a_client_dropped_without_a_word_gives_its_place_back(
    aiohttp_client: ClientFactory, settings: Settings, redis: Redis, tenant: Tenant
) -> None:
    client = await capped_client(aiohttp_client, settings)
    dropped = []
    for _ in range(2):
        sock = socket.create_connection((client.host, client.port))
        sock.sendall(
            b"GET /v1/events HTTP/1.1\r\nHost: test\r\n"
            + f"Authorization: Bearer {tenant.token}\r\n\r\n".encode()
        )
        head = await asyncio.to_thread(sock.recv, 4096)
        assert head.startswith(b"HTTP/1.1 200")
        dropped.append(sock)
    assert (await client.get("/v1/events", headers=tenant.headers)).status == 429
    for sock in dropped:
        # An abrupt end: RST, no FIN exchange, and no event ever written to notice it by.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    await wait_for_count(redis, tenant, 0)
    again = await client.get("/v1/events", headers=tenant.headers)
    assert again.status == 200
    again.close()


async def test_a_stream_that_falls_behind_on_its_socket_is_ended(
    aiohttp_client: ClientFactory, settings: Settings, redis: Redis, tenant: Tenant
) -> None:
    """The caught-up path writes straight to the socket; a client that stops reading
    fills its buffers, and past the high-water mark its stream is ended (it would resume
    with Last-Event-ID), while a reading client on the same key gets everything."""
    client = await capped_client(aiohttp_client, settings)
    reading = await client.get("/v1/events", headers=tenant.headers)
    assert (await reading.content.readany()).startswith(b"retry:")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((client.host, client.port))
    stalled.sendall(
        b"GET /v1/events HTTP/1.1\r\nHost: test\r\n"
        + f"Authorization: Bearer {tenant.token}\r\n\r\n".encode()
    )
    assert (await asyncio.to_thread(stalled.recv, 1024)).startswith(b"HTTP/1.1 200")
    await wait_for_count(redis, tenant, 2)
    received = 0
    async with asyncio.timeout(30):
        sent = 0
        while await open_count(redis, tenant) != 1:  # ~60 KB an event: megabytes in all
            await publish_message(redis, settings, tenant, f"{sent} " + "x" * 60_000)
            sent += 1
            received += len(await reading.content.read(2**20))
        await publish_message(redis, settings, tenant, "last")
        tail = b""
        while b'"message":"last"' not in tail:
            chunk = await reading.content.read(2**20)
            assert chunk, "the reading stream ended"
            received += len(chunk)
            tail = tail[-100:] + chunk
    assert received > sent * 60_000  # the reader got every event, the stalled one is out
    stalled.close()
    reading.close()


async def publish_message(redis: Redis, settings: Settings, tenant: Tenant, text: str) -> None:
    event = events.JobEvent(type="progress", job_id="big", kind="sync", message=text)
    await events.publish(redis, settings, str(tenant.organization_id), event)
