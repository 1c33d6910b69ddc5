"""GitHub App installation events: the bookkeeping row and the repositories they register."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from services.worker.deps import Deps
from tests.conftest import Tenant, make_tenant
from tests.integration.api.conftest import Client
from tests.integration.webhooks.conftest import Delivery, body_of, deliver
from tests.integration.webhooks.test_ingest import consumer, drain

ALICE_GITHUB_ID = 501


@pytest.fixture
async def acme(db: asyncpg.Connection, tenant: Tenant) -> Tenant:
    """Alice (GitHub id 501) owns the organization `acme` as well as her own."""
    await db.execute(
        "UPDATE users SET github_id = $1 WHERE id = $2", ALICE_GITHUB_ID, tenant.user_id
    )
    return await make_tenant(db, "alice", "acme")


def event(action: str, sender_id: int = ALICE_GITHUB_ID, **fields: Any) -> dict[str, Any]:
    return {
        "action": action,
        "installation": {"id": 31, "account": {"login": "Acme", "type": "Organization"}},
        "sender": {"login": "alice", "id": sender_id},
        **fields,
    }


def repo(n: int) -> dict[str, Any]:
    return {"id": 9000 + n, "full_name": f"Acme/svc{n}", "private": True}


async def send(hooks: Client, deps: Deps, name: str, body: dict[str, Any], delivery: str) -> None:
    await deliver(hooks, Delivery(body_of(body), event=name, delivery=delivery))
    await drain(consumer(deps))


async def registered(db: asyncpg.Connection, org: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch(
        "SELECT full_name, installation_id, github_id FROM repositories"
        " WHERE organization_id = $1 ORDER BY full_name",
        org,
    )
    return {r["full_name"]: (r["installation_id"], r["github_id"]) for r in rows}


async def test_an_installation_registers_and_unregisters_repositories(
    hooks: Client, deps: Deps, db: asyncpg.Connection, acme: Tenant, tenant: Tenant
) -> None:
    await send(hooks, deps, "installation", event("created", repositories=[repo(1), repo(2)]), "i1")
    assert await registered(db, acme.organization_id) == {
        "Acme/svc1": (31, 9001),
        "Acme/svc2": (31, 9002),
    }
    # Alice's personal organization did not get them: the account's organization did.
    assert await registered(db, tenant.organization_id) == {}
    syncs = await db.fetch(
        "SELECT kind, trigger FROM jobs WHERE organization_id = $1", acme.organization_id
    )
    assert sorted((r["kind"], r["trigger"]) for r in syncs) == [("sync", "webhook")] * 2

    changed = event(
        "added", sender_id=999, repositories_added=[repo(3)], repositories_removed=[repo(1)]
    )
    await send(hooks, deps, "installation_repositories", changed, "i2")
    assert await registered(db, acme.organization_id) == {
        "Acme/svc2": (31, 9002),
        "Acme/svc3": (31, 9003),
    }
    row = await db.fetchrow("SELECT * FROM github_installations WHERE installation_id = 31")
    assert row is not None
    assert (row["account_login"], row["status"], row["organization_id"]) == (
        "Acme",
        "active",
        acme.organization_id,
    )
    assert row["repositories"] == ["Acme/svc2", "Acme/svc3"]

    await send(hooks, deps, "installation", event("deleted"), "i3")
    assert await registered(db, acme.organization_id) == {}
    status = await db.fetchval("SELECT status FROM github_installations WHERE installation_id = 31")
    assert status == "deleted"


async def test_a_repository_a_person_registered_stays_when_removed(
    hooks: Client, deps: Deps, db: asyncpg.Connection, acme: Tenant
) -> None:
    await db.execute(
        "INSERT INTO repositories (organization_id, provider, full_name, clone_url, created_by)"
        " VALUES ($1, 'github', 'Acme/svc1', 'https://github.com/Acme/svc1.git', $2)",
        acme.organization_id,
        acme.user_id,
    )
    await send(hooks, deps, "installation", event("created", repositories=[repo(1)]), "i1")
    assert await registered(db, acme.organization_id) == {"Acme/svc1": (31, 9001)}
    await send(
        hooks,
        deps,
        "installation_repositories",
        event("removed", repositories_removed=[repo(1)]),
        "i2",
    )
    assert await registered(db, acme.organization_id) == {"Acme/svc1": (None, 9001)}


async def test_a_stranger_installing_on_a_matching_login_gets_nothing(
    hooks: Client, deps: Deps, db: asyncpg.Connection, acme: Tenant
) -> None:
    await send(
        hooks, deps, "installation", event("created", sender_id=4242, repositories=[repo(1)]), "i1"
    )
    assert await registered(db, acme.organization_id) == {}
    org = await db.fetchval(
        "SELECT organization_id FROM github_installations WHERE installation_id = 31"
    )
    assert org is None
