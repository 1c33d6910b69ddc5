"""The event streams' shared readers: one Redis reader per stream key per api process,
however many clients follow it, and nothing lost or repeated for a client that resumes
while events keep coming."""

from __future__ import annotations

import asyncio

import aiohttp
from redis.asyncio import Redis

from libs.common.config import Settings
from services.api.http import fanout, keys
from tests.conftest import Tenant
from tests.integration.api.conftest import Client
from tests.integration.api.test_events import messages, publish, read_events


async def test_many_streams_share_one_reader_and_each_gets_every_event(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    app = client.app
    assert app is not None
    streams = [await client.get("/v1/events", headers=tenant.headers) for _ in range(20)]
    for response in streams:
        assert (await response.content.readany()).startswith(b"retry:")
    assert app[keys.HUB].readers == 1
    await publish(redis, settings, tenant, "job-1", 5)
    for response in streams:
        assert messages(await read_events(response, 5)) == [f"step {i}" for i in range(1, 6)]
        response.close()
    async with asyncio.timeout(10):  # the last stream gone, its reader stops
        while app[keys.HUB].readers:
            await asyncio.sleep(0.02)


async def test_a_resumed_stream_misses_and_repeats_nothing_while_events_arrive(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    await publish(redis, settings, tenant, "job-2", 3)
    follower = await client.get("/v1/events", headers=tenant.headers)  # starts the reader
    assert (await follower.content.readany()).startswith(b"retry:")
    writer = asyncio.create_task(publish(redis, settings, tenant, "job-2", 40, start=4))
    resumed = await client.get("/v1/events", headers=tenant.headers | {"Last-Event-ID": "0-0"})
    await writer
    found = await read_events(resumed, 43)
    assert messages(found) == [f"step {i}" for i in range(1, 44)]
    assert len({e.id for e in found}) == 43
    follower.close()
    resumed.close()


async def test_a_subscriber_that_falls_behind_is_ended(redis: Redis) -> None:
    hub = fanout.StreamHub(redis, block_ms=100)
    sub = await hub.subscribe("fanout-test")
    for i in range(fanout.QUEUE_SIZE + 1):
        sub.push(fanout.Delivery(f"{i + 1}-0", "progress", b"", False))
    assert sub.overflowed
    sub.end()  # room is made for the wake-up even in a full queue
    assert sub.queue.qsize() <= fanout.QUEUE_SIZE
    hub.unsubscribe(sub)
    assert hub.readers == 0
    await hub.close()


async def test_closing_the_hub_ends_a_subscription_still_starting(redis: Redis) -> None:
    """A stream opened as the api shuts down ends at once: its reader, cancelled before it
    knew where to start, must not leave the subscription waiting (the shutdown would then
    cut the response short)."""
    hub = fanout.StreamHub(redis, block_ms=100)
    starting = asyncio.create_task(hub.subscribe("fanout-closing"))
    await asyncio.sleep(0)  # subscribe() now waits for its reader's first read
    assert not starting.done()
    await hub.close()
    async with asyncio.timeout(5):
        sub = await starting
        assert await sub.queue.get() is None
        late = await hub.subscribe("fanout-closing")  # after close: ended, no new reader
        assert await late.queue.get() is None
    assert hub.readers == 0


async def test_a_stream_follows_after_its_resume_point_over_http(
    client: Client, redis: Redis, settings: Settings, tenant: Tenant
) -> None:
    await publish(redis, settings, tenant, "job-3", 2)
    first = await client.get("/v1/events", headers=tenant.headers)
    got = await read_events(first, 2)
    first.close()
    later = await client.get(
        "/v1/events",
        headers=tenant.headers | {"Last-Event-ID": got[0].id or ""},
        timeout=aiohttp.ClientTimeout(total=10),
    )
    await publish(redis, settings, tenant, "job-3", 1, start=3)
    assert messages(await read_events(later, 2)) == ["step 2", "step 3"]
    later.close()
