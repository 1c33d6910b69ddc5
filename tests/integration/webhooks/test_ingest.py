"""The ingest consumer: deliveries from the real api, processed into jobs and records."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from typing import Any

import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.redis import keys, webhook_stream
from services.worker.deps import Deps
from services.worker.ingest.consumer import IngestConsumer
from tests.conftest import Tenant
from tests.integration.api.conftest import Client
from tests.integration.webhooks.conftest import (
    Delivery,
    body_of,
    deliver,
    push_payload,
    repo_with_secret,
    seen_key,
)


def consumer(deps: Deps, name: str = "c1") -> IngestConsumer:
    return IngestConsumer(deps, name=name, block_ms=10, claim_every_s=0)


async def drain(c: IngestConsumer) -> None:
    await c.ensure_group()
    await c.recover_own()
    while await c.step():
        pass


async def register(client: Client, tenant: Tenant, name: str = "octo/app") -> str:
    response = await client.post(
        "/v1/repos", json={"url": f"https://github.com/{name}"}, headers=tenant.headers
    )
    assert response.status == 201
    repo_id: str = (await response.json())["id"]
    return repo_id


async def jobs_of(db: asyncpg.Connection, repo_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT kind, commit_sha, params, trigger FROM jobs WHERE repository_id = $1 ORDER BY kind",
        uuid.UUID(repo_id),
    )
    return [dict(r) for r in rows]


async def delivery_row(db: asyncpg.Connection, delivery: str) -> dict[str, Any]:
    row = await db.fetchrow("SELECT * FROM webhook_deliveries WHERE delivery_id = $1", delivery)
    assert row is not None
    return dict(row)


async def assert_stream_empty(redis: Redis) -> None:
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 0
    pending = await redis.xpending(keys.WEBHOOKS_STREAM, keys.WEBHOOKS_GROUP)
    assert pending["pending"] == 0


async def test_push_to_the_default_branch_analyses_the_commit_and_records_the_head(
    hooks: Client, deps: Deps, db: asyncpg.Connection, redis: Redis, tenant: Tenant
) -> None:
    repo_id = await register(hooks, tenant)
    sha = "b" * 40
    response = await deliver(hooks, Delivery(body_of(push_payload(after=sha)), delivery="p1"))
    assert response.status == 202
    await drain(consumer(deps))
    # One analysis, and no sync job: what a sync would ask GitHub, the push says.
    assert await jobs_of(db, repo_id) == [
        {"kind": "analysis", "commit_sha": sha, "params": {"branch": "main"}, "trigger": "webhook"},
    ]
    stored = await db.fetchrow(
        "SELECT default_branch, last_commit, visibility FROM repositories WHERE id = $1",
        uuid.UUID(repo_id),
    )
    assert stored is not None
    assert dict(stored) == {"default_branch": "main", "last_commit": sha, "visibility": "public"}
    row = await delivery_row(db, "p1")
    assert row["status"] == "processed"
    assert row["organization_id"] == tenant.organization_id
    assert str(row["repository_id"]) == repo_id
    assert len(row["job_ids"]) == 1
    await assert_stream_empty(redis)
    # The analysis job is really on its arq queue.
    assert await redis.zcard(keys.queue("analysis")) == 1


async def test_same_delivery_100_times_concurrently_is_one_job(
    hooks: Client, deps: Deps, db: asyncpg.Connection, tenant: Tenant
) -> None:
    repo_id = await register(hooks, tenant)
    delivery = Delivery(body_of(push_payload(after="c" * 40)), delivery="hundred")
    responses = await asyncio.gather(*(deliver(hooks, delivery) for _ in range(100)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * 99 + [202]
    await asyncio.gather(drain(consumer(deps, "a")), drain(consumer(deps, "b")))
    jobs = await jobs_of(db, repo_id)
    assert [j["kind"] for j in jobs] == ["analysis"]
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 1


async def test_push_elsewhere_is_ignored(
    hooks: Client, deps: Deps, db: asyncpg.Connection, tenant: Tenant
) -> None:
    repo_id = await register(hooks, tenant)
    for name, payload in [
        ("feature", push_payload(ref="refs/heads/feature")),
        ("tag", push_payload(ref="refs/tags/v1")),
        ("deleted", push_payload(after="0" * 40)),
        ("unregistered", push_payload(full_name="someone/else", github_id=9)),
    ]:
        await deliver(hooks, Delivery(body_of(payload), delivery=name))
    await drain(consumer(deps))
    assert await jobs_of(db, repo_id) == []
    for name in ("feature", "tag", "deleted", "unregistered"):
        row = await delivery_row(db, name)
        assert row["status"] == "ignored", name
        assert row["error"]


def pr_payload(action: str, number: int = 7, sha: str = "d" * 40) -> dict[str, object]:
    return {
        "action": action,
        "number": number,
        "pull_request": {"number": number, "head": {"sha": sha, "ref": "fix-ci"}},
        "repository": push_payload()["repository"],
    }


async def test_pull_requests_analyse_the_head_commit(
    hooks: Client, deps: Deps, db: asyncpg.Connection, tenant: Tenant
) -> None:
    repo_id = await register(hooks, tenant)
    for action in ("opened", "synchronize", "closed", "labeled"):
        sha = "e" * 40 if action == "synchronize" else "d" * 40
        payload = pr_payload(action, sha=sha)
        await deliver(hooks, Delivery(body_of(payload), event="pull_request", delivery=action))
    await drain(consumer(deps))
    jobs = await jobs_of(db, repo_id)
    assert sorted((j["commit_sha"], j["kind"]) for j in jobs) == [
        ("d" * 40, "analysis"),
        ("e" * 40, "analysis"),
    ]
    assert jobs[0]["params"] == {"branch": "fix-ci", "pull_request": 7}
    assert (await delivery_row(db, "closed"))["status"] == "ignored"


async def test_ping_unknown_events_and_bad_payloads_are_recorded(
    hooks: Client, deps: Deps, db: asyncpg.Connection, redis: Redis
) -> None:
    await deliver(
        hooks,
        Delivery(
            body_of({"zen": "Design for failure.", "hook_id": 1}), event="ping", delivery="ping"
        ),
    )
    await deliver(hooks, Delivery(body_of({"action": "started"}), event="watch", delivery="star"))
    await deliver(hooks, Delivery(body_of({"ref": "refs/heads/main"}), delivery="broken"))
    await drain(consumer(deps))
    assert (await delivery_row(db, "ping"))["status"] == "processed"
    star = await delivery_row(db, "star")
    assert (star["status"], star["event"], star["action"]) == ("ignored", "watch", "started")
    broken = await delivery_row(db, "broken")
    assert broken["status"] == "failed"
    assert "after" in broken["error"]
    await assert_stream_empty(redis)


async def test_ping_adopts_the_hook_of_a_repository(
    hooks: Client, hook_settings: Settings, deps: Deps, db: asyncpg.Connection, tenant: Tenant
) -> None:
    repo_id = await repo_with_secret(db, hook_settings, tenant, b"s3")
    ping = Delivery(body_of({"zen": "hi", "hook_id": 555}), event="ping", secret=b"s3")
    headers = ping.headers() | {
        "X-GitHub-Hook-ID": "555",
        "X-GitHub-Hook-Installation-Target-ID": "4242",
    }
    assert (await hooks.post("/webhooks/github", data=ping.body, headers=headers)).status == 202
    await drain(consumer(deps))
    assert await db.fetchval("SELECT webhook_id FROM repositories WHERE id = $1", repo_id) == 555


async def test_repository_events_keep_names_and_state_current(
    hooks: Client, deps: Deps, db: asyncpg.Connection, tenant: Tenant
) -> None:
    repo_id = uuid.UUID(await register(hooks, tenant))
    renamed = {
        "action": "renamed",
        "changes": {"repository": {"name": {"from": "app"}}},
        "repository": push_payload(full_name="octo/app2")["repository"],
    }
    await deliver(hooks, Delivery(body_of(renamed), event="repository", delivery="rename"))
    await drain(consumer(deps))
    row = await db.fetchrow("SELECT full_name, clone_url FROM repositories WHERE id = $1", repo_id)
    assert dict(row) == {  # type: ignore[arg-type]
        "full_name": "octo/app2",
        "clone_url": "https://github.com/octo/app2.git",
    }
    deleted = {"action": "deleted", "repository": push_payload(full_name="octo/app2")["repository"]}
    await deliver(hooks, Delivery(body_of(deleted), event="repository", delivery="delete"))
    await drain(consumer(deps))
    gone = await db.fetchval("SELECT upstream_deleted_at FROM repositories WHERE id = $1", repo_id)
    assert gone is not None


async def test_a_crashed_consumers_entries_are_processed(
    hooks: Client,
    hook_settings: Settings,
    deps: Deps,
    db: asyncpg.Connection,
    redis: Redis,
    tenant: Tenant,
) -> None:
    repo_id = await register(hooks, tenant)
    await deliver(hooks, Delivery(body_of(push_payload()), delivery="orphan"))
    dead = consumer(deps, "dead")
    await dead.ensure_group()
    # It read the entry, then died before acknowledging it.
    assert len(await dead._read(">")) == 1
    assert await jobs_of(db, repo_id) == []
    # Restarted under its name, it re-reads its own pending entries first.
    restarted = consumer(deps, "dead")
    await restarted.recover_own()
    assert len(await jobs_of(db, repo_id)) == 1
    await assert_stream_empty(redis)

    await deliver(hooks, Delivery(body_of(push_payload(after="f" * 40)), delivery="orphan2"))
    assert len(await dead._read(">")) == 1
    # Never restarted: another consumer takes the entry over once it is idle long enough.
    quick = msgspec.structs.replace(hook_settings, ingest_claim_idle_seconds=1)
    other = IngestConsumer(
        dataclasses.replace(deps, settings=quick), name="other", block_ms=10, claim_every_s=0
    )
    assert await other.claim() == 0
    await asyncio.sleep(1.1)
    assert await other.claim() == 1
    assert len(await jobs_of(db, repo_id)) == 2
    await assert_stream_empty(redis)


async def test_a_delivery_that_keeps_failing_is_dead_lettered(
    hooks: Client, hook_settings: Settings, deps: Deps, db: asyncpg.Connection, redis: Redis
) -> None:
    poison = Delivery(body_of(push_payload()), delivery="poison", hook_id="3")
    await deliver(hooks, poison)
    # A delivery PostgreSQL refuses for its own sake (an outage would be waited out
    # instead): every attempt fails and is left pending.
    await db.execute(
        """
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.delivery_id = 'poison' THEN RAISE EXCEPTION 'refused'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_deliveries
            FOR EACH ROW EXECUTE FUNCTION refuse_poison();
        """
    )
    quick = msgspec.structs.replace(
        hook_settings, ingest_claim_idle_seconds=1, ingest_max_deliveries=2
    )
    broken = IngestConsumer(
        dataclasses.replace(deps, settings=quick), name="x", block_ms=10, claim_every_s=0
    )
    await broken.ensure_group()
    await broken.step()  # delivery 1 fails
    for _ in range(2):  # deliveries 2 and 3 through XAUTOCLAIM
        await asyncio.sleep(1.05)
        await broken.claim()
    assert await redis.xlen(keys.WEBHOOKS_STREAM) == 0
    [(_, fields)] = await redis.xrange(keys.WEBHOOKS_DEAD_LETTER)
    assert webhook_stream.from_fields(fields).delivery == "poison"
    assert b"3 deliveries" in fields[b"reason"] or b"2 deliveries" in fields[b"reason"]
    # Forgotten by the api, so GitHub's manual redelivery is accepted and processed.
    assert not await redis.exists(seen_key(poison))
    again = await deliver(hooks, poison)
    assert again.status == 202


async def test_an_entry_whose_body_cannot_be_read_is_recorded_dead_and_forgotten(
    hooks: Client, deps: Deps, db: asyncpg.Connection, redis: Redis
) -> None:
    # As an older worker, or a damaged frame, would meet it: the metadata still reads.
    mangled = Delivery(body_of(push_payload()), delivery="mangled", hook_id="5")
    await deliver(hooks, mangled)
    [(entry_id, _)] = await redis.xrange(keys.WEBHOOKS_STREAM)
    await redis.xdel(keys.WEBHOOKS_STREAM, entry_id)
    digest = hashlib.sha256(mangled.body).hexdigest()
    meta = msgspec.json.encode(
        {"event": "push", "delivery": "mangled", "hook_id": 5, "digest": digest}
    )
    await redis.xadd(keys.WEBHOOKS_STREAM, {"meta": meta, "body_lz4": b"not a frame"})
    await drain(consumer(deps))
    await assert_stream_empty(redis)
    [(_, dead)] = await redis.xrange(keys.WEBHOOKS_DEAD_LETTER)
    assert b"not an LZ4 frame" in dead[b"reason"]
    row = await delivery_row(db, "mangled")
    assert row["status"] == "dead"
    # Forgotten, so GitHub's redelivery is taken.
    assert not await redis.exists(seen_key(mangled))
    again = await deliver(hooks, mangled)
    assert again.status == 202


async def test_a_redelivery_after_the_api_forgot_it_does_nothing_twice(
    hooks: Client, deps: Deps, db: asyncpg.Connection, redis: Redis, tenant: Tenant
) -> None:
    repo_id = await register(hooks, tenant)
    delivery = Delivery(body_of(push_payload()), delivery="late")
    await deliver(hooks, delivery)
    await drain(consumer(deps))
    await db.execute("UPDATE jobs SET status = 'succeeded'")
    await redis.delete(seen_key(delivery))
    assert (await deliver(hooks, delivery)).status == 202
    await drain(consumer(deps))
    assert len(await jobs_of(db, repo_id)) == 1
    row = await delivery_row(db, "late")
    assert (row["status"], row["attempts"]) == ("processed", 2)


async def test_the_api_dedup_key_and_the_worker_row_agree_on_every_outcome(
    hooks: Client, deps: Deps, db: asyncpg.Connection, redis: Redis, tenant: Tenant
) -> None:
    """The api's key says "do not take this body from this hook again"; the worker's row
    says what the delivery did. The key may be gone only where the row says `dead` (the
    one outcome whose redelivery must be taken), and wherever it stays the row says the
    delivery finished, so a repeat refused at the api never hides undone work."""
    await register(hooks, tenant)
    sent = {
        "processed": Delivery(body_of(push_payload(after="e" * 40)), delivery="ok"),
        "ignored": Delivery(body_of({"action": "started"}), event="watch", delivery="star"),
        "failed": Delivery(body_of({"ref": "refs/heads/main"}), delivery="broken"),
        "dead": Delivery(body_of(push_payload(after="f" * 40)), delivery="mangled"),
    }
    for delivery in sent.values():
        assert (await deliver(hooks, delivery)).status == 202
    # The last entry's body is damaged in the stream, as a worker cannot read it.
    entries = await redis.xrange(keys.WEBHOOKS_STREAM)
    entry_id, fields = entries[-1]
    await redis.xdel(keys.WEBHOOKS_STREAM, entry_id)
    await redis.xadd(keys.WEBHOOKS_STREAM, {"meta": fields[b"meta"], "body_lz4": b"damaged"})
    await drain(consumer(deps))
    await assert_stream_empty(redis)
    for status, delivery in sent.items():
        row = await delivery_row(db, delivery.delivery)
        assert row["status"] == status
        kept = bool(await redis.exists(seen_key(delivery)))
        assert kept == (status != "dead"), status
        again = await deliver(hooks, delivery)
        assert again.status == (202 if status == "dead" else 200), status
