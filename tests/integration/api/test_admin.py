"""Admin routes: the operator organization's owners and admins only."""

from __future__ import annotations

import asyncpg

from libs.common.db import orgs, tokens
from tests.conftest import Tenant, make_tenant
from tests.integration.api.conftest import Client


async def test_queue_depths_for_operators(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    operator = await make_tenant(db, "root", "default")
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/a/b"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)
    response = await client.get("/v1/admin/queues", headers=operator.headers)
    assert response.status == 200
    body = await response.json()
    depths = {q["name"]: q for q in body["queues"]}
    assert set(depths) == {"sync", "analysis", "ci_generation"}
    assert depths["sync"]["waiting"] == 1
    assert depths["sync"]["oldest_age_seconds"] >= 0
    assert depths["analysis"] == {"name": "analysis", "waiting": 0, "oldest_age_seconds": None}
    assert body["webhooks"] == {"waiting": 0, "pending": 0, "consumers": 0, "dead_letters": 0}


async def test_everyone_else_is_refused(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    operator = await make_tenant(db, "root", "default")
    # An owner of their own organization is not an operator.
    owner_elsewhere = await client.get("/v1/admin/queues", headers=tenant.headers)
    assert owner_elsewhere.status == 403
    # A plain member of the operator organization is not either.
    await orgs.add_member(db, operator.organization_id, tenant.user_id, "member")
    token, _ = await tokens.create_token(db, operator.organization_id, tenant.user_id, "t")
    member = await client.get("/v1/admin/queues", headers={"Authorization": f"Bearer {token}"})
    assert member.status == 403
