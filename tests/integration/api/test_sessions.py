"""Browser sessions: the cookie authenticates, cross-site changes are refused."""

from __future__ import annotations

import asyncpg

from libs.common.db import sessions
from tests.conftest import Tenant
from tests.integration.api.conftest import Client


async def test_session_cookie_authenticates(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    token = await sessions.create_session(db, tenant.user_id, tenant.organization_id, 3600)
    cookie = {"Cookie": f"ado_session={token}"}
    me = await client.get("/v1/me", headers=cookie)
    assert me.status == 200
    assert (await me.json())["authenticated_by"] == "session"
    # A session value is never a bearer token.
    as_bearer = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status == 401


async def test_cross_site_changes_are_refused(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    token = await sessions.create_session(db, tenant.user_id, tenant.organization_id, 3600)
    cookie = {"Cookie": f"ado_session={token}"}
    body = {"name": "from a page"}
    evil = await client.post(
        "/v1/tokens", json=body, headers=cookie | {"Origin": "https://evil.example"}
    )
    assert evil.status == 403
    missing = await client.post("/v1/tokens", json=body, headers=cookie)
    assert missing.status == 403
    origin = str(client.make_url("/")).rstrip("/")
    ours = await client.post("/v1/tokens", json=body, headers=cookie | {"Origin": origin})
    assert ours.status == 201


async def test_expired_and_revoked_sessions_are_401(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    expired = await sessions.create_session(db, tenant.user_id, tenant.organization_id, 3600)
    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    assert (await client.get("/v1/me", headers={"Cookie": f"ado_session={expired}"})).status == 401
    revoked = await sessions.create_session(db, tenant.user_id, tenant.organization_id, 3600)
    assert await sessions.revoke(db, revoked)
    assert (await client.get("/v1/me", headers={"Cookie": f"ado_session={revoked}"})).status == 401
