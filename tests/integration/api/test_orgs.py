"""Organizations, members and roles."""

from __future__ import annotations

import uuid

import asyncpg

from libs.common.db import orgs, sessions, tokens
from tests.conftest import Tenant, make_tenant
from tests.integration.api.conftest import Client


async def member_of(db: asyncpg.Connection, tenant: Tenant, login: str, role: str) -> Tenant:
    """A new user with their own org, added to `tenant`'s org with `role`, and a token there."""
    person = await make_tenant(db, login, f"{login}-home")
    await orgs.add_member(db, tenant.organization_id, person.user_id, role)  # type: ignore[arg-type]
    token, _ = await tokens.create_token(db, tenant.organization_id, person.user_id, "t")
    return Tenant(person.user_id, tenant.organization_id, token)


async def test_list_create_and_read(client: Client, tenant: Tenant) -> None:
    listed = await (await client.get("/v1/orgs", headers=tenant.headers)).json()
    assert [(o["slug"], o["role"]) for o in listed["items"]] == [("alice-org", "owner")]
    created = await client.post(
        "/v1/orgs", json={"slug": "team-a", "name": "Team A"}, headers=tenant.headers
    )
    assert created.status == 201
    org = await created.json()
    assert (org["role"], org["personal"]) == ("owner", False)
    assert created.headers["Location"] == f"/v1/orgs/{org['id']}"
    read = await client.get(f"/v1/orgs/{org['id']}", headers=tenant.headers)
    assert (await read.json())["slug"] == "team-a"
    taken = await client.post(
        "/v1/orgs", json={"slug": "team-a", "name": "Again"}, headers=tenant.headers
    )
    assert taken.status == 409
    for slug in ("Team", "-x", "a" * 41, "a_b"):
        bad = await client.post(
            "/v1/orgs", json={"slug": slug, "name": "n"}, headers=tenant.headers
        )
        assert bad.status == 400, slug


async def test_nobody_creates_the_operator_organization_through_the_api(
    client: Client, tenant: Tenant
) -> None:
    # ADMIN_ORGANIZATION ("default") does not exist yet: creating it would make the
    # caller an owner of the operators' organization, with every tenant's data.
    made = await client.post(
        "/v1/orgs", json={"slug": "default", "name": "mine now"}, headers=tenant.headers
    )
    assert made.status == 409
    listed = await (await client.get("/v1/orgs", headers=tenant.headers)).json()
    assert [o["slug"] for o in listed["items"]] == ["alice-org"]


async def test_outsiders_get_404_for_everything(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    org = tenant.organization_id
    for method, path, body in [
        ("GET", f"/v1/orgs/{org}", None),
        ("GET", f"/v1/orgs/{org}/members", None),
        ("POST", f"/v1/orgs/{org}/members", {"login": "mallory"}),
        ("PATCH", f"/v1/orgs/{org}/members/{tenant.user_id}", {"role": "member"}),
        ("DELETE", f"/v1/orgs/{org}/members/{tenant.user_id}", None),
        ("GET", f"/v1/orgs/{uuid.uuid4()}", None),
    ]:
        response = await client.request(method, path, json=body, headers=other_tenant.headers)
        assert response.status == 404, (method, path)


async def test_adding_members_and_roles(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    await make_tenant(db, "bob", "bob-home")
    org = tenant.organization_id
    added = await client.post(
        f"/v1/orgs/{org}/members", json={"login": "bob", "role": "admin"}, headers=tenant.headers
    )
    assert added.status == 201
    assert (await added.json())["role"] == "admin"
    twice = await client.post(
        f"/v1/orgs/{org}/members", json={"login": "bob"}, headers=tenant.headers
    )
    assert twice.status == 409
    unknown = await client.post(
        f"/v1/orgs/{org}/members", json={"login": "nobody"}, headers=tenant.headers
    )
    assert unknown.status == 404
    members = await (await client.get(f"/v1/orgs/{org}/members", headers=tenant.headers)).json()
    assert sorted((m["login"], m["role"]) for m in members["items"]) == [
        ("alice", "owner"),
        ("bob", "admin"),
    ]


async def test_members_cannot_manage_and_admins_cannot_touch_owners(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    org = tenant.organization_id
    member = await member_of(db, tenant, "carol", "member")
    admin = await member_of(db, tenant, "dave", "admin")
    await make_tenant(db, "erin", "erin-home")
    denied = await client.post(
        f"/v1/orgs/{org}/members", json={"login": "erin"}, headers=member.headers
    )
    assert denied.status == 403
    as_owner = await client.post(
        f"/v1/orgs/{org}/members", json={"login": "erin", "role": "owner"}, headers=admin.headers
    )
    assert as_owner.status == 403
    demote_owner = await client.patch(
        f"/v1/orgs/{org}/members/{tenant.user_id}", json={"role": "member"}, headers=admin.headers
    )
    assert demote_owner.status == 403
    promote = await client.patch(
        f"/v1/orgs/{org}/members/{member.user_id}", json={"role": "admin"}, headers=admin.headers
    )
    assert promote.status == 200
    assert (await promote.json())["role"] == "admin"


async def test_the_last_owner_stays(client: Client, db: asyncpg.Connection, tenant: Tenant) -> None:
    org = tenant.organization_id
    leave = await client.delete(f"/v1/orgs/{org}/members/{tenant.user_id}", headers=tenant.headers)
    assert leave.status == 409
    assert (await leave.json())["type"] == "/problems/last-owner"
    demote = await client.patch(
        f"/v1/orgs/{org}/members/{tenant.user_id}", json={"role": "admin"}, headers=tenant.headers
    )
    assert demote.status == 409
    second = await member_of(db, tenant, "frank", "owner")
    demote_now = await client.patch(
        f"/v1/orgs/{org}/members/{tenant.user_id}", json={"role": "admin"}, headers=second.headers
    )
    assert demote_now.status == 200


async def test_removed_members_lose_access_at_once(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    org = tenant.organization_id
    member = await member_of(db, tenant, "gina", "member")
    assert (await client.get("/v1/repos", headers=member.headers)).status == 200
    removed = await client.delete(
        f"/v1/orgs/{org}/members/{member.user_id}", headers=tenant.headers
    )
    assert removed.status == 204
    assert (await client.get("/v1/repos", headers=member.headers)).status == 401


async def test_adding_a_removed_member_back_does_not_revive_old_credentials(
    client: Client, db: asyncpg.Connection, tenant: Tenant
) -> None:
    org = tenant.organization_id
    member = await member_of(db, tenant, "ida", "member")
    session = await sessions.create_session(db, member.user_id, org, 3600)
    cookie = {"Cookie": f"ado_session={session}"}
    assert (await client.get("/v1/repos", headers=cookie)).status == 200
    path = f"/v1/orgs/{org}/members/{member.user_id}"
    assert (await client.delete(path, headers=tenant.headers)).status == 204
    await orgs.add_member(db, org, member.user_id, "member")
    assert (await client.get("/v1/repos", headers=member.headers)).status == 401
    assert (await client.get("/v1/repos", headers=cookie)).status == 401


async def test_a_personal_organization_keeps_its_person_as_owner(
    client: Client, db: asyncpg.Connection
) -> None:
    erin = await make_tenant(db, "erin", "erin-work")
    home = await orgs.ensure_personal_organization(db, erin.user_id, "erin", reserved="default")
    erin_home = Tenant(
        erin.user_id, home, (await tokens.create_token(db, home, erin.user_id, "t"))[0]
    )
    frank = await member_of(db, erin_home, "frank", "owner")
    path = f"/v1/orgs/{home}/members/{erin.user_id}"
    for refused in (
        await client.delete(path, headers=frank.headers),
        await client.patch(path, json={"role": "admin"}, headers=frank.headers),
        await client.delete(path, headers=erin_home.headers),  # leaving it
    ):
        assert refused.status == 409
        assert (await refused.json())["type"] == "/problems/personal-owner"
    assert (await client.get("/v1/repos", headers=erin_home.headers)).status == 200
    # Anyone else there is managed as usual.
    frank_path = f"/v1/orgs/{home}/members/{frank.user_id}"
    assert (await client.delete(frank_path, headers=erin_home.headers)).status == 204


async def test_members_may_leave(client: Client, db: asyncpg.Connection, tenant: Tenant) -> None:
    member = await member_of(db, tenant, "hank", "member")
    path = f"/v1/orgs/{tenant.organization_id}/members/{member.user_id}"
    assert (await client.delete(path, headers=member.headers)).status == 204
