"""Input the database cannot store, URLs that do not parse, and query parameters: each a
400 that names what is wrong, never a 500; and the document admits what the API does."""

from __future__ import annotations

import msgspec
import pytest

from services.api.http.body import unstorable_at
from tests.conftest import Tenant
from tests.integration.api.conftest import Client

NUL_NAME = b'{"name": "a\\u0000b"}'


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/tokens", NUL_NAME, "name"),
        ("/v1/orgs", b'{"slug": "nul-org", "name": "a\\u0000b"}', "name"),
        ("/v1/repos", b'{"path": "/tmp/a\\u0000b"}', "path"),
    ],
)
async def test_a_nul_character_is_a_400_naming_the_field(
    client: Client, tenant: Tenant, path: str, body: bytes, field: str
) -> None:
    response = await client.post(path, data=body, headers=tenant.headers)
    assert response.status == 400
    problem = await response.json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["errors"][0]["field"] == field
    assert "NUL" in problem["detail"]


async def test_a_nul_in_the_branch_to_analyse_is_a_400(client: Client, tenant: Tenant) -> None:
    created = await client.post(
        "/v1/repos", json={"url": "https://github.com/octo/nul"}, headers=tenant.headers
    )
    repo = await created.json()
    response = await client.post(
        f"/v1/repos/{repo['id']}/analyze",
        data=b'{"commit": "' + b"a" * 40 + b'", "branch": "main\\u0000"}',
        headers=tenant.headers,
    )
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "branch"


def test_the_path_of_an_unstorable_string_is_named_however_deep() -> None:
    class Inner(msgspec.Struct):
        tags: list[str]

    class Outer(msgspec.Struct, rename="camel"):
        long_name: dict[str, Inner]

    value = Outer(long_name={"k": Inner(tags=["fine", "bad\x00"])})
    assert unstorable_at(value) == "longName.k.tags[1]"
    assert unstorable_at(Outer(long_name={"a\x00": Inner(tags=[])})) == "longName"
    assert unstorable_at(Outer(long_name={"k": Inner(tags=["fine"])})) is None


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(
    client: Client, tenant: Tenant
) -> None:
    response = await client.post(
        "/v1/tokens", data=b'{"name": "a\\\\u0000b"}', headers=tenant.headers
    )
    assert response.status == 201
    assert (await response.json())["name"] == "a\\u0000b"


@pytest.mark.parametrize("url", ["https://a]b/x/y", "https://[::1/x/y", "https://a:port/x/y"])
async def test_a_url_that_does_not_parse_is_a_400(client: Client, tenant: Tenant, url: str) -> None:
    response = await client.post("/v1/repos", json={"url": url}, headers=tenant.headers)
    assert response.status == 400
    problem = await response.json()
    assert problem["errors"][0]["field"] == "url"


@pytest.mark.parametrize("query", ["service=nope", "service=a%00b"])
async def test_a_bad_query_parameter_is_named_as_one(client: Client, query: str) -> None:
    response = await client.get(f"/metrics/targets?{query}")
    assert response.status == 400
    problem = await response.json()
    assert problem["type"] == "/problems/invalid-parameter"
    assert problem["title"] == "A query parameter is not valid"
    assert problem["errors"][0] == {
        "field": "service",
        "in": "query",
        "message": problem["errors"][0]["message"],
    }
    assert "Query parameter 'service'" in problem["detail"]


async def test_a_token_may_last_a_fractional_number_of_days(client: Client, tenant: Tenant) -> None:
    for days in (30.0, 1.5):
        response = await client.post(
            "/v1/tokens", json={"name": "n", "expires_in_days": days}, headers=tenant.headers
        )
        assert response.status == 201, await response.text()
    spec = await (await client.get("/openapi.json")).json()
    schema = spec["components"]["schemas"]["TokenCreate"]["properties"]["expires_in_days"]
    assert {"type": "number", "minimum": 1, "maximum": 3650} in schema["anyOf"]


async def test_the_document_says_what_a_slug_and_a_repository_body_may_be(
    client: Client, tenant: Tenant
) -> None:
    spec = await (await client.get("/openapi.json")).json()
    slug = spec["components"]["schemas"]["OrganizationCreate"]["properties"]["slug"]
    assert slug["pattern"].startswith("^[a-z0-9]")
    for bad in ("café", "ab\n", "-a"):
        response = await client.post(
            "/v1/orgs", json={"slug": bad, "name": "n"}, headers=tenant.headers
        )
        assert response.status == 400, bad
        assert (await response.json())["errors"][0]["field"] == "slug"
    body = spec["paths"]["/v1/repos"]["post"]["requestBody"]["content"]["application/json"]
    assert [o["required"] for o in body["schema"]["oneOf"]] == [["url"], ["path"], ["github"]]
