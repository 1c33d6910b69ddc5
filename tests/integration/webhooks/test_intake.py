"""POST /webhooks/github: what is stored, what is refused, and that refusals store nothing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import lz4.frame
import msgspec
import pytest
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.embedded import EmbeddedRedis
from libs.common.redis import keys, webhook_stream
from services.api import webhook_intake as intake_module
from services.api.app import create_app
from tests.conftest import Tenant
from tests.integration.api.conftest import Client, ClientFactory
from tests.integration.webhooks.conftest import (
    Delivery,
    body_of,
    deliver,
    push_payload,
    repo_with_secret,
    seen_key,
)

PROBLEM = "application/problem+json"
MIB = 1024 * 1024


async def stored_deliveries(redis: Redis) -> list[webhook_stream.Delivery]:
    return [webhook_stream.from_fields(f) for _, f in await redis.xrange(keys.WEBHOOKS_STREAM)]


async def assert_nothing_stored(redis: Redis) -> None:
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 0
    assert [k async for k in redis.scan_iter("webhook:seen:*")] == []


async def test_accepted_delivery_is_queued_with_its_headers(hooks: Client, redis: Redis) -> None:
    delivery = Delivery(body_of(push_payload()), delivery="d-1", hook_id="77")
    response = await deliver(hooks, delivery)
    assert response.status == 202
    assert await response.json() == {"status": "accepted", "delivery": "d-1", "event": "push"}
    stored = await stored_deliveries(redis)
    assert [(d.event, d.delivery, d.hook_id) for d in stored] == [("push", "d-1", 77)]
    assert stored[0].body == delivery.body
    assert stored[0].repository_id is None
    assert await redis.exists(seen_key(delivery))
    assert stored[0].digest == hashlib.sha256(delivery.body).hexdigest()
    # The body travels compressed, as an LZ4 frame.
    [(_, fields)] = await redis.xrange(keys.WEBHOOKS_STREAM)
    assert set(fields) == {b"meta", b"body_lz4"}
    assert lz4.frame.decompress(fields[b"body_lz4"]) == delivery.body


async def test_redelivery_is_200_and_queues_nothing(hooks: Client, redis: Redis) -> None:
    delivery = Delivery(body_of(push_payload()), delivery="same")
    assert (await deliver(hooks, delivery)).status == 202
    again = await deliver(hooks, delivery)
    assert again.status == 200
    assert (await again.json())["status"] == "duplicate"
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 1
    # The same delivery id from another hook is another delivery (GitHub shares the id).
    other_hook = Delivery(delivery.body, delivery="same", hook_id="2")
    assert (await deliver(hooks, other_hook)).status == 202
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 2


async def test_a_replayed_body_under_a_new_delivery_id_is_a_duplicate(
    hooks: Client, redis: Redis
) -> None:
    # Someone who captured a signed delivery sends it again with a made-up GUID: the
    # signature still matches, but the hook sent this body already.
    body = body_of(push_payload(after="c" * 40))
    assert (await deliver(hooks, Delivery(body, delivery="first"))).status == 202
    replay = await deliver(hooks, Delivery(body, delivery=str(uuid.uuid4())))
    assert replay.status == 200
    assert (await replay.json())["status"] == "duplicate"
    assert [d.delivery for d in await stored_deliveries(redis)] == ["first"]
    # Another body from the same hook is another delivery.
    other = Delivery(body_of(push_payload(after="d" * 40)), delivery=str(uuid.uuid4()))
    assert (await deliver(hooks, other)).status == 202


def _sha1(body: bytes, secret: bytes) -> str:
    return "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()


@pytest.mark.parametrize("case", ["forged", "missing", "sha1-only", "reserialized", "uppercase"])
async def test_bad_signatures_are_401_and_store_nothing(
    hooks: Client, redis: Redis, db: asyncpg.Connection, case: str
) -> None:
    original = b'{"zen": "Keep it logically awesome.",   "hook_id": 1}'
    delivery = Delivery(original, event="ping")
    headers = delivery.headers()
    body = original
    if case == "forged":
        headers["X-Hub-Signature-256"] = Delivery(original, secret=b"guess").headers()[
            "X-Hub-Signature-256"
        ]
    elif case == "missing":
        del headers["X-Hub-Signature-256"]
    elif case == "sha1-only":
        del headers["X-Hub-Signature-256"]
        headers["X-Hub-Signature"] = _sha1(original, delivery.secret)
    elif case == "reserialized":
        body = json.dumps(json.loads(original)).encode()
        assert body != original
    else:
        headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].upper()
    response = await hooks.post("/webhooks/github", data=body, headers=headers)
    assert response.status == 401
    assert response.content_type == PROBLEM
    assert (await response.json())["type"] == "/problems/bad-signature"
    await assert_nothing_stored(redis)
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_signature_is_checked_before_the_body_is_parsed(hooks: Client, redis: Redis) -> None:
    # Not JSON and badly signed: the answer is about the signature, not the body.
    response = await deliver(hooks, Delivery(b"{not json", secret=b"wrong"))
    assert response.status == 401
    await assert_nothing_stored(redis)


async def test_invalid_json_is_400_and_stores_nothing(hooks: Client, redis: Redis) -> None:
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    for body in (
        b"{not json",
        b"[1, 2]",
        b"",
        b'{"action": "\xff\xfe"}',
        b'{"zen": "\xff"}',  # in a field the intake does not read
        deep,
    ):
        response = await deliver(hooks, Delivery(body))
        assert response.status == 400, body[:40]
        assert response.content_type == PROBLEM
        assert "JSON object in UTF-8" in (await response.json())["detail"], body[:40]
    await assert_nothing_stored(redis)


async def test_bodies_past_the_api_default_but_under_25_mib_are_accepted(
    hooks: Client, redis: Redis
) -> None:
    payload = push_payload()
    payload["padding"] = "x" * (1024 * 1024)
    body = body_of(payload)
    assert len(body) > 1024 * 1024 + 1
    response = await deliver(hooks, Delivery(body))
    assert response.status == 202
    [stored] = await stored_deliveries(redis)
    assert stored.body == body


async def test_exactly_one_mib_plus_one_is_accepted(hooks: Client) -> None:
    body = _ping_of_size(MIB + 1)
    assert (await deliver(hooks, Delivery(body, event="ping"))).status == 202


def _ping_of_size(size: int) -> bytes:
    head = b'{"zen": "'
    return head + b"z" * (size - len(head) - 2) + b'"}'


async def test_26_mib_body_is_413_and_stores_nothing(hooks: Client, redis: Redis) -> None:
    response = await deliver(hooks, Delivery(_ping_of_size(26 * MIB), event="ping"))
    assert response.status == 413
    assert response.content_type == PROBLEM
    await assert_nothing_stored(redis)


async def test_the_limit_is_25_mib_exactly(hooks: Client, redis: Redis) -> None:
    over = await deliver(hooks, Delivery(_ping_of_size(25 * MIB + 1), event="ping"))
    assert over.status == 413
    await assert_nothing_stored(redis)
    largest = Delivery(_ping_of_size(25 * MIB), event="ping")
    assert (await deliver(hooks, largest)).status == 202
    [stored] = await stored_deliveries(redis)  # compressed off the event loop, read back whole
    assert stored.body == largest.body


async def test_body_larger_than_declared_limit_without_length_is_413(
    hooks: Client, redis: Redis
) -> None:
    chunk = b"z" * (1024 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"zen": "'
        for _ in range(26):
            yield chunk
        yield b'"}'

    headers = Delivery(b"{}", event="ping").headers()
    response = await hooks.post("/webhooks/github", data=chunks(), headers=headers)
    assert response.status == 413
    await assert_nothing_stored(redis)


async def test_malformed_headers_are_400(hooks: Client, redis: Redis) -> None:
    good = Delivery(body_of({"zen": "x"}), event="ping")
    for name, value in [
        ("X-GitHub-Event", "Push Event"),
        ("X-GitHub-Delivery", "../../etc"),
        ("X-GitHub-Hook-ID", "abc"),
    ]:
        headers = good.headers() | {name: value}
        response = await hooks.post("/webhooks/github", data=good.body, headers=headers)
        assert response.status == 400, name
    headers = good.headers()
    del headers["X-GitHub-Event"]
    assert (await hooks.post("/webhooks/github", data=good.body, headers=headers)).status == 400
    await assert_nothing_stored(redis)


async def test_form_encoded_deliveries_carry_the_json_in_payload(
    hooks: Client, redis: Redis
) -> None:
    document = body_of({"zen": "form"})
    body = urlencode({"payload": document.decode()}).encode()
    delivery = Delivery(body, event="ping", content_type="application/x-www-form-urlencoded")
    assert (await deliver(hooks, delivery)).status == 202
    [stored] = await stored_deliveries(redis)
    assert stored.body == document
    xml = Delivery(b"<ping/>", event="ping", content_type="application/xml")
    assert (await deliver(hooks, xml)).status == 415
    crowded = urlencode({f"f{i}": "x" for i in range(11)} | {"payload": "{}"}).encode()
    form = "application/x-www-form-urlencoded"
    assert (await deliver(hooks, Delivery(crowded, event="ping", content_type=form))).status == 400


async def test_unknown_events_are_accepted_for_the_record(hooks: Client, redis: Redis) -> None:
    response = await deliver(hooks, Delivery(body_of({"action": "created"}), event="star"))
    assert response.status == 202
    [stored] = await stored_deliveries(redis)
    assert (stored.event, stored.action) == ("star", "created")


async def test_repository_secret_verifies_and_names_the_repository(
    hooks: Client, hook_settings: Settings, db: asyncpg.Connection, redis: Redis, tenant: Tenant
) -> None:
    secret = b"per-repository secret"
    repo_id = await repo_with_secret(db, hook_settings, tenant, secret, hook_id=901)
    delivery = Delivery(body_of(push_payload()), hook_id="901", secret=secret)
    assert (await deliver(hooks, delivery)).status == 202
    [stored] = await stored_deliveries(redis)
    assert stored.repository_id == repo_id
    assert stored.organization_id == tenant.organization_id
    # Another hook's secret does not open this repository's deliveries.
    wrong_hook = Delivery(body_of(push_payload()), hook_id="902", secret=secret)
    assert (await deliver(hooks, wrong_hook)).status == 401


async def test_a_new_hook_is_verified_before_its_id_is_stored(
    hooks: Client, hook_settings: Settings, db: asyncpg.Connection, tenant: Tenant
) -> None:
    # GitHub pings a hook the moment it is created, before we have stored its id.
    secret = b"fresh secret"
    await repo_with_secret(db, hook_settings, tenant, secret, full_name="octo/new", github_id=5151)
    delivery = Delivery(body_of({"zen": "hi", "hook_id": 333}), event="ping", secret=secret)
    headers = delivery.headers() | {
        "X-GitHub-Hook-ID": "333",
        "X-GitHub-Hook-Installation-Target-ID": "5151",
    }
    response = await hooks.post("/webhooks/github", data=delivery.body, headers=headers)
    assert response.status == 202


async def test_without_any_secret_every_delivery_is_401(
    aiohttp_client: ClientFactory, settings: Settings, redis: Redis
) -> None:
    client = await aiohttp_client(create_app(settings))
    response = await deliver(client, Delivery(body_of({"zen": "x"}), event="ping", secret=b""))
    assert response.status == 401
    await assert_nothing_stored(redis)


async def test_redis_down_is_503_never_202(
    aiohttp_client: ClientFactory, hook_settings: Settings, tmp_path: Path
) -> None:
    own = EmbeddedRedis(tmp_path / "redis", persist=False)
    url = own.start()
    client: Client = await aiohttp_client(
        create_app(msgspec.structs.replace(hook_settings, redis_url=url))
    )
    own.stop()
    response = await deliver(client, Delivery(body_of({"zen": "x"}), event="ping"))
    assert response.status == 503
    assert response.content_type == PROBLEM
    assert response.headers["Retry-After"]


async def test_full_stream_is_503(
    aiohttp_client: ClientFactory, hook_settings: Settings, redis: Redis
) -> None:
    small = msgspec.structs.replace(hook_settings, webhook_stream_max_entries=2)
    client: Client = await aiohttp_client(create_app(small))
    answers = [await deliver(client, Delivery(body_of({"n": n}), event="ping")) for n in range(3)]
    assert [a.status for a in answers] == [202, 202, 503]
    assert answers[2].headers["Retry-After"] == "30"
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 2
    # The refused delivery was not remembered, so GitHub's redelivery can still succeed.
    assert len([k async for k in redis.scan_iter("webhook:seen:*")]) == 2


async def test_outcomes_are_counted(hooks: Client) -> None:
    await deliver(hooks, Delivery(body_of(push_payload()), delivery=str(uuid.uuid4())))
    await deliver(hooks, Delivery(body_of(push_payload()), secret=b"wrong"))
    text = await (await hooks.get("/metrics")).text()
    assert 'autodevops_webhook_deliveries_total{event="push",outcome="accepted"} 1.0' in text
    assert 'autodevops_webhook_deliveries_total{event="push",outcome="bad_signature"} 1.0' in text


async def test_deliveries_survive_a_flushed_script_cache(hooks: Client, redis: Redis) -> None:
    assert (await deliver(hooks, Delivery(body_of({"n": 1}), event="ping"))).status == 202
    await redis.script_flush()  # as after a Redis restart
    results = await asyncio.gather(
        *(deliver(hooks, Delivery(body_of({"n": n}), event="ping")) for n in range(2, 12))
    )
    assert [r.status for r in results] == [202] * 10
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 11


async def test_failing_signatures_slow_down_their_hook_not_the_address(
    aiohttp_client: ClientFactory,
    hook_settings: Settings,
    db: asyncpg.Connection,
    tenant: Tenant,
) -> None:
    strict = msgspec.structs.replace(
        hook_settings, rate_limit_auth_requests=3, trusted_proxy_count=1
    )
    client: Client = await aiohttp_client(create_app(strict))
    # GitHub sends everyone's deliveries from the same addresses.
    github = {"X-Forwarded-For": "140.82.115.8"}

    async def send(delivery: Delivery) -> int:
        headers = delivery.headers() | github
        response = await client.post("/webhooks/github", data=delivery.body, headers=headers)
        return response.status

    # Someone's hook pointed at us with a secret we do not hold: past the budget, its
    # failures are answered 429.
    foreign = Delivery(body_of({"zen": "x"}), event="ping", hook_id="555", secret=b"guess")
    assert [await send(foreign) for _ in range(4)] == [401, 401, 401, 429]
    # Our own deliveries from the same address still pass: signed with the global secret,
    # or with a repository's own secret that has to be looked up first.
    assert await send(Delivery(body_of({"zen": "y"}), event="ping", hook_id="556")) == 202
    secret = b"repository secret"
    await repo_with_secret(db, strict, tenant, secret, hook_id=557)
    own = Delivery(body_of({"zen": "z"}), event="ping", hook_id="557", secret=secret)
    assert await send(own) == 202


async def test_a_valid_signature_passes_after_forgeries_spent_its_hooks_budget(
    aiohttp_client: ClientFactory,
    hook_settings: Settings,
    db: asyncpg.Connection,
    tenant: Tenant,
) -> None:
    strict = msgspec.structs.replace(
        hook_settings, rate_limit_auth_requests=2, trusted_proxy_count=1
    )
    client: Client = await aiohttp_client(create_app(strict))
    shared = {"X-Forwarded-For": "140.82.115.9"}  # GitHub's, and the forger's proxy's

    async def send(delivery: Delivery) -> int:
        headers = delivery.headers() | shared
        response = await client.post("/webhooks/github", data=delivery.body, headers=headers)
        return response.status

    forged = [
        Delivery(body_of({"forged": n}), event="ping", hook_id="558", secret=b"guess")
        for n in range(4)
    ]
    assert [await send(f) for f in forged] == [401, 401, 429, 429]
    # The hook's secret is stored only now (a rotation): the process read none for this
    # hook a moment ago, and looks again rather than trusting that for half a minute.
    secret = b"the hook's real secret"
    await repo_with_secret(db, strict, tenant, secret, hook_id=558)
    await asyncio.sleep(intake_module.SECRET_RELOAD_S)
    real = Delivery(body_of({"zen": "real"}), event="ping", hook_id="558", secret=secret)
    assert await send(real) == 202
