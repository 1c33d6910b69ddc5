"""Registering repositories and syncing them through the api."""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec
import pytest

from libs.common.config import Settings
from services.api.app import create_app
from tests.conftest import Tenant
from tests.integration.api.conftest import Client, ClientFactory

PROBLEM = "application/problem+json"


async def test_register_by_https_url_is_idempotent(client: Client, tenant: Tenant) -> None:
    body = {"url": "https://github.com/octo/hello.git"}
    first = await client.post("/v1/repos", json=body, headers=tenant.headers)
    assert first.status == 201
    repo = await first.json()
    assert (repo["provider"], repo["full_name"]) == ("github", "octo/hello")
    again = await client.post("/v1/repos", json=body, headers=tenant.headers)
    assert again.status == 200
    assert (await again.json())["id"] == repo["id"]
    listed = await (await client.get("/v1/repos", headers=tenant.headers)).json()
    assert [r["id"] for r in listed["items"]] == [repo["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": 5}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://u:p@example.com/x"}, "url"),
        ({"path": "relative"}, "path"),
        ({"url": "https://example.com/a", "colour": "red"}, "colour"),
        ({}, "body"),
        ({"url": "https://example.com/a", "path": "/tmp"}, "body"),
    ],
)
async def test_malformed_body_is_400_naming_the_field(
    client: Client, tenant: Tenant, body: dict[str, object], field: str
) -> None:
    response = await client.post("/v1/repos", json=body, headers=tenant.headers)
    assert response.status == 400
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["errors"][0]["field"] == field
    assert field in problem["detail"]


@pytest.mark.parametrize("body", [b"{not json", b'{"path": "\xff\xfe"}'])
async def test_invalid_json_is_400(client: Client, tenant: Tenant, body: bytes) -> None:
    response = await client.post("/v1/repos", data=body, headers=tenant.headers)
    assert response.status == 400
    assert "not valid JSON" in (await response.json())["detail"]


async def test_local_paths_need_the_operator_switch(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, tmp_path: Path
) -> None:
    strict = msgspec.structs.replace(settings, allow_local_repos=False)
    client = await aiohttp_client(create_app(strict))
    response = await client.post("/v1/repos", json={"path": str(tmp_path)}, headers=tenant.headers)
    assert response.status == 400
    assert (await response.json())["type"] == "/problems/local-repositories-disabled"


async def test_urls_inside_the_network_need_the_operator_switch(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    metadata = {"url": "https://169.254.169.254/latest/meta-data"}
    strict = await aiohttp_client(create_app(settings))
    refused = await strict.post("/v1/repos", json=metadata, headers=tenant.headers)
    assert refused.status == 400
    problem = await refused.json()
    assert problem["errors"][0]["field"] == "url"
    assert "ALLOW_PRIVATE_REPO_HOSTS" in problem["detail"]
    allowed = msgspec.structs.replace(settings, allow_private_repo_hosts=True)
    internal = await aiohttp_client(create_app(allowed))
    response = await internal.post("/v1/repos", json=metadata, headers=tenant.headers)
    assert response.status == 201


async def test_other_tenants_and_unknown_ids_are_404(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/team/app"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    sync = await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)
    job_id = (await sync.json())["id"]
    paths = [
        ("GET", f"/v1/repos/{repo_id}"),
        ("POST", f"/v1/repos/{repo_id}/sync"),
        ("GET", f"/v1/jobs/{job_id}"),
        ("GET", f"/v1/jobs/{job_id}/events"),
    ]
    for method, path in paths:
        response = await client.request(method, path, headers=other_tenant.headers)
        assert response.status == 404, path
        assert response.content_type == PROBLEM
    for method, path in [
        ("GET", f"/v1/repos/{uuid.uuid4()}"),
        ("GET", "/v1/repos/not-a-uuid"),
        ("GET", f"/v1/jobs/{uuid.uuid4()}"),
        ("POST", f"/v1/repos/{uuid.uuid4()}/sync"),
    ]:
        response = await client.request(method, path, headers=tenant.headers)
        assert response.status == 404, path
    others = await (await client.get("/v1/repos", headers=other_tenant.headers)).json()
    assert others["items"] == []


async def test_sync_twice_while_queued_is_one_job(client: Client, tenant: Tenant) -> None:
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/team/app"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    first = await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)
    second = await client.post(f"/v1/repos/{repo_id}/sync", headers=tenant.headers)
    assert first.status == second.status == 202
    job = await first.json()
    assert (await second.json())["id"] == job["id"]
    assert job["status"] == "queued"
    assert first.headers["Location"] == f"/v1/jobs/{job['id']}"
    shown = await (await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)).json()
    assert shown["enqueued_at"] is not None
