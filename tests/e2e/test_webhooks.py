"""A GitHub push through the real api and worker processes becomes jobs and a record."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import asyncpg
import pytest

from libs.github.signatures import sign
from tests.e2e.conftest import Stack

SECRET = "e2e webhook secret"


@pytest.fixture
def stack_env() -> dict[str, str]:
    return {"GITHUB_WEBHOOK_SECRET": SECRET}


async def test_a_push_becomes_one_analysis_job(stack: Stack, database_url: str) -> None:
    token = stack.cli("token", "create", "--login", "hooks", "--org", "hooks-org")
    async with aiohttp.ClientSession(stack.url) as http:
        created = await http.post(
            "/v1/repos",
            json={"url": "https://github.com/octo/e2e"},
            headers={"Authorization": f"Bearer {token}"},
        )
        repo_id = (await created.json())["id"]
        body = json.dumps(
            {
                "ref": "refs/heads/main",
                "after": "b" * 40,
                "repository": {"id": 77, "full_name": "octo/e2e", "default_branch": "main"},
            }
        ).encode()
        delivery = str(uuid.uuid4())
        sent = await http.post(
            "/webhooks/github",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": delivery,
                "X-GitHub-Hook-ID": "5",
                "X-Hub-Signature-256": sign(SECRET, body),
            },
        )
        assert sent.status == 202
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(30):
            while True:  # the worker's ingest consumer picks it up on its own
                status = await conn.fetchval(
                    "SELECT status FROM webhook_deliveries WHERE delivery_id = $1", delivery
                )
                if status == "processed":
                    break
                await asyncio.sleep(0.2)
        kinds = await conn.fetch(
            "SELECT kind, trigger FROM jobs WHERE repository_id = $1 ORDER BY kind",
            uuid.UUID(repo_id),
        )
    finally:
        await conn.close()
    assert [(k["kind"], k["trigger"]) for k in kinds] == [("analysis", "webhook")]
