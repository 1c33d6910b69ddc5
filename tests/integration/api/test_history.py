"""Score history pages, the repository settings of the regression rule, and the badge."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from libs.common.db import score_history
from tests.conftest import Tenant
from tests.integration.api.conftest import Client


async def repository(client: Client, tenant: Tenant, name: str = "octo/app") -> uuid.UUID:
    created = await client.post(
        "/v1/repos", json={"url": f"https://github.com/{name}"}, headers=tenant.headers
    )
    assert created.status == 201
    return uuid.UUID((await created.json())["id"])


async def scores(db: asyncpg.Connection, tenant: Tenant, repo_id: uuid.UUID, *values: int) -> None:
    for n, value in enumerate(values):
        await score_history.record(
            db,
            tenant.organization_id,
            repo_id,
            analysis_id=None,
            commit_sha=f"{n:x}" * 40,
            branch="main",
            pull_request=None,
            score=value,
            band="good" if value >= 70 else "fair",
            categories={"security": value, "testing": None},
            critical=[],
        )


async def test_history_pages_newest_first(
    client: Client, db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    repo_id = await repository(client, tenant)
    await scores(db, tenant, repo_id, 60, 65, 70, 75, 80)
    url = f"/v1/repos/{repo_id}/history"
    first = await (await client.get(url + "?limit=2", headers=tenant.headers)).json()
    assert [e["score"] for e in first["items"]] == [80, 75]
    assert first["items"][0]["categories"] == {"security": 80, "testing": None}
    cursor = first["next_cursor"]
    second = await (
        await client.get(f"{url}?limit=2&cursor={cursor}", headers=tenant.headers)
    ).json()
    assert [e["score"] for e in second["items"]] == [70, 65]
    last = await (
        await client.get(f"{url}?limit=2&cursor={second['next_cursor']}", headers=tenant.headers)
    ).json()
    assert ([e["score"] for e in last["items"]], last["next_cursor"]) == ([60], None)

    one = await (await client.get(f"{url}?commit={'2' * 12}", headers=tenant.headers)).json()
    assert [e["score"] for e in one["items"]] == [70]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    none = await client.get(url, params={"since": later}, headers=tenant.headers)
    assert (await none.json())["items"] == []

    # Another organization sees nothing, and bad input is a 400 naming the field.
    assert (await client.get(url, headers=other_tenant.headers)).status == 404
    bad = await client.get(url + "?limit=500", headers=tenant.headers)
    assert bad.status == 400
    assert "limit" in (await bad.text())
    naive = await client.get(url, params={"since": "2026-01-01T00:00:00"}, headers=tenant.headers)
    assert naive.status == 400
    zoned = await client.get(
        url, params={"until": "2000-02-30T01:00+02:00"}, headers=tenant.headers
    )
    assert (await zoned.json())["items"] == []


async def test_settings_and_the_badge(
    client: Client, db: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
) -> None:
    repo_id = await repository(client, tenant, "Octo/Site")
    await db.execute(
        "UPDATE repositories SET visibility = 'public', default_branch = 'main' WHERE id = $1",
        repo_id,
    )
    await scores(db, tenant, repo_id, 64, 72)
    # Not opted in: the same 404 as an unknown repository.
    assert (await client.get("/badge/octo/site.svg")).status == 404
    assert (await client.get("/badge/nobody/nothing.svg")).status == 404

    url = f"/v1/repos/{repo_id}/settings"
    stranger = await client.patch(url, json={"badge_public": True}, headers=other_tenant.headers)
    assert stranger.status == 404
    changed = await client.patch(
        url, json={"badge_public": True, "regression_max_drop": 10}, headers=tenant.headers
    )
    assert changed.status == 200
    assert await changed.json() == {
        "badge_public": True,
        "regression_max_drop": 10,
        "regression_on_critical": True,
    }
    reset = await client.patch(url, json={"regression_max_drop": None}, headers=tenant.headers)
    assert (await reset.json())["regression_max_drop"] is None
    refused = await client.patch(url, json={"regression_max_drop": 101}, headers=tenant.headers)
    assert refused.status == 400
    # JSON Schema's integer admits 12.0 (the document promises it); 12.5 is no integer.
    whole = await client.patch(url, json={"regression_max_drop": 12.0}, headers=tenant.headers)
    assert (await whole.json())["regression_max_drop"] == 12
    half = await client.patch(url, json={"regression_max_drop": 12.5}, headers=tenant.headers)
    assert half.status == 400
    assert (await half.json())["errors"][0]["field"] == "regression_max_drop"
    unknown = await client.patch(url, json={"colour": "red"}, headers=tenant.headers)
    assert unknown.status == 400

    badge = await client.get("/badge/octo/site.svg")
    assert badge.status == 200
    assert badge.content_type == "image/svg+xml"
    assert "max-age=300" in badge.headers["Cache-Control"]
    svg = await badge.text()
    assert "72 · good" in svg
    assert "64" not in svg
    again = await client.get(
        "/badge/octo/site.svg", headers={"If-None-Match": badge.headers["ETag"]}
    )
    assert again.status == 304

    # A repository that turns private stops serving its badge at once.
    await db.execute("UPDATE repositories SET visibility = 'private' WHERE id = $1", repo_id)
    assert (await client.get("/badge/octo/site.svg")).status == 404
