"""One pass per push: what the worker's handling of one push delivery costs PostgreSQL.

Counted on a real pool whose `setup` hook sees every acquisition and whose connections
log every statement: before this was straightened a push took six writes through seven
acquisitions without a transaction, and submitted a sync job that asked GitHub for the
branch and commit the payload already carried, then submitted the same analysis again.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import asyncpg
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.db.pool import create_pool
from libs.common.redis import keys
from services.worker.deps import Deps
from services.worker.ingest.consumer import IngestConsumer
from tests.conftest import Tenant
from tests.integration.api.conftest import Client
from tests.integration.webhooks.conftest import Delivery, body_of, deliver, push_payload

WRITES = ("INSERT", "UPDATE", "DELETE")


async def test_one_push_is_one_transaction_one_analysis_and_an_enqueue_after_commit(
    hooks: Client, hook_settings: Settings, db: asyncpg.Connection, redis: Redis, tenant: Tenant
) -> None:
    response = await hooks.post(
        "/v1/repos", json={"url": "https://github.com/octo/app"}, headers=tenant.headers
    )
    repo_id = uuid.UUID((await response.json())["id"])
    sha = "9" * 40
    assert (await deliver(hooks, Delivery(body_of(push_payload(after=sha))))).status == 202

    statements: list[str] = []
    acquired = 0

    def log(record: Any) -> None:
        statements.append(" ".join(record.query.split()).upper())

    async def setup(conn: Any) -> None:
        nonlocal acquired
        acquired += 1
        conn.add_query_logger(log)

    pool = await create_pool(hook_settings, min_size=0, setup=setup)
    deps = await Deps.create(hook_settings)
    try:
        consumer = IngestConsumer(dataclasses.replace(deps, pool=pool), block_ms=10)
        await consumer.ensure_group()
        assert await consumer.step() == 1
    finally:
        await deps.close()
        await pool.close()

    begin, commit = statements.index("BEGIN;"), statements.index("COMMIT;")
    inside = [s for s in statements[begin:commit] if s.startswith(WRITES)]
    after = [s for s in statements[commit:] if s.startswith(WRITES)]
    assert statements.count("BEGIN;") == 1
    # The delivery's row, the repository's head, the analysis row, the delivery's outcome.
    assert [s.split()[0:3] for s in inside] == [
        ["INSERT", "INTO", "WEBHOOK_DELIVERIES"],
        ["UPDATE", "REPOSITORIES", "SET"],
        ["INSERT", "INTO", "JOBS"],
        ["UPDATE", "WEBHOOK_DELIVERIES", "SET"],
    ]
    # After the commit, only the enqueue's bookkeeping: when it went on the queue.
    assert [s.split()[0:2] for s in after] == [["UPDATE", "JOBS"]]
    assert "ENQUEUED_AT = NOW()" in after[0]
    assert not any(s.startswith(WRITES) for s in statements[:begin])
    assert acquired == 2
    figure = f"push: {len(inside) + len(after)} writes, {acquired} acquisitions, 1 transaction"
    print(figure)  # noqa: T201 (the figure, shown with -s)

    kinds = await db.fetch("SELECT kind, commit_sha FROM jobs WHERE repository_id = $1", repo_id)
    assert [(r["kind"], r["commit_sha"]) for r in kinds] == [("analysis", sha)]
    assert await redis.zcard(keys.queue("analysis")) == 1
    assert await redis.zcard(keys.queue("sync")) == 0
    assert await db.fetchval("SELECT last_commit FROM repositories WHERE id = $1", repo_id) == sha
