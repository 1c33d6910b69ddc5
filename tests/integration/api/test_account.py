"""/v1/me and API tokens: created once, listed without values, revoked for good."""

from __future__ import annotations

import asyncpg

from libs.common.db import orgs
from tests.conftest import Tenant
from tests.integration.api.conftest import Client

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_me_names_user_and_organization(client: Client, tenant: Tenant) -> None:
    me = await (await client.get("/v1/me", headers=tenant.headers)).json()
    assert me["user"]["login"] == "alice"
    assert me["organization"]["id"] == str(tenant.organization_id)
    assert me["organization"]["role"] == "owner"
    assert me["authenticated_by"] == "token"


async def test_token_lifecycle(client: Client, tenant: Tenant) -> None:
    created = await client.post(
        "/v1/tokens", json={"name": "ci", "expires_in_days": 30}, headers=tenant.headers
    )
    assert created.status == 201
    assert created.headers["Cache-Control"] == "no-store"
    body = await created.json()
    token = body["token"]
    assert token.startswith("ado_")
    assert body["prefix"] == token[:12]
    assert body["expires_at"] is not None
    assert (await client.get("/v1/me", headers=bearer(token))).status == 200

    listed = await (await client.get("/v1/tokens", headers=tenant.headers)).json()
    mine = next(t for t in listed["items"] if t["id"] == body["id"])
    assert "token" not in mine
    assert mine["last_used_at"] is not None
    assert token not in str(listed)

    revoked = await client.delete(f"/v1/tokens/{body['id']}", headers=tenant.headers)
    assert revoked.status == 204
    refused = await client.get("/v1/me", headers=bearer(token))
    assert refused.status == 401
    again = await client.delete(f"/v1/tokens/{body['id']}", headers=tenant.headers)
    assert again.status == 404


async def test_tokens_of_others_are_invisible(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await client.post("/v1/tokens", json={"name": "x"}, headers=tenant.headers)
    token_id = (await created.json())["id"]
    theirs = await client.delete(f"/v1/tokens/{token_id}", headers=other_tenant.headers)
    assert theirs.status == 404
    listed = await (await client.get("/v1/tokens", headers=other_tenant.headers)).json()
    assert token_id not in [t["id"] for t in listed["items"]]


async def test_a_token_for_another_organization_you_belong_to(
    client: Client, db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    await orgs.add_member(db, other_tenant.organization_id, tenant.user_id, "member")
    created = await client.post(
        "/v1/tokens",
        json={"name": "team", "organization_id": str(other_tenant.organization_id)},
        headers=tenant.headers,
    )
    assert created.status == 201
    me = await (await client.get("/v1/me", headers=bearer((await created.json())["token"]))).json()
    assert me["organization"]["id"] == str(other_tenant.organization_id)
    assert me["organization"]["role"] == "member"
    # Not for an organization you are not in.
    outsider = await client.post(
        "/v1/tokens",
        json={"name": "nope", "organization_id": str(tenant.organization_id)},
        headers=other_tenant.headers,
    )
    assert outsider.status == 404


async def test_bad_token_requests_name_the_field(client: Client, tenant: Tenant) -> None:
    for body, field in [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": ["all"]}, "scopes"),
    ]:
        response = await client.post("/v1/tokens", json=body, headers=tenant.headers)
        assert response.status == 400, body
        assert (await response.json())["errors"][0]["field"] == field
