"""The API description covers every route, error and security scheme, and is true."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from services.api.http import errors
from services.api.http.openapi import documented_routes
from tests.conftest import Tenant
from tests.integration.api.conftest import Client


async def document(client: Client) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status == 200
    found: dict[str, Any] = await response.json()
    return found


def all_subclasses(cls: type[errors.AppError]) -> set[type[errors.AppError]]:
    found: set[type[errors.AppError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | all_subclasses(sub)
    return found


async def test_the_document_is_valid_openapi_3_1(client: Client) -> None:
    spec = await document(client)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


async def test_every_route_is_documented(client: Client) -> None:
    spec = await document(client)
    app = client.app
    assert app is not None
    routes = documented_routes(app)
    undocumented = [(m, p) for m, p, _, op in routes if op is None]
    assert undocumented == []
    for method, path, _, _ in routes:
        assert method.lower() in spec["paths"].get(path, {}), (method, path)
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


async def test_every_error_and_security_scheme_is_described(client: Client) -> None:
    spec = await document(client)
    listed = {p["type"] for p in spec["x-problem-types"]}
    for error in all_subclasses(errors.AppError):
        assert f"/problems/{error.slug}" in listed, error.__name__
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) == {"bearerToken", "sessionCookie", "githubSignature"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "500" in codes, (method, path)
            used = {name for requirement in op["security"] for name in requirement}
            assert used <= set(schemes)
            if path.startswith("/v1/"):
                assert used == {"bearerToken", "sessionCookie"}, (method, path)
                assert "401" in codes, (method, path)
                if method in ("post", "put", "patch", "delete"):
                    assert "403" in codes, (method, path)  # cross-site, cookie-authenticated
            if "requestBody" in op:
                assert "413" in codes, (method, path)
            if op["x-rate-limit"] != "none":
                assert "429" in codes, (method, path)
    webhook = spec["paths"]["/webhooks/github"]["post"]
    assert webhook["security"] == [{"githubSignature": []}]
    assert {"401", "413", "503"} <= set(webhook["responses"])


def response_schema(spec: dict[str, Any], path: str, method: str, status: str) -> Any:
    content = spec["paths"][path][method]["responses"][status]["content"]
    media = "application/json" if "application/json" in content else next(iter(content))
    return content[media]["schema"]


def check(spec: dict[str, Any], schema: Any, instance: Any) -> None:
    """Validate against the document's own schema (its components as local $defs)."""
    resolved = _rewrite_refs({"$defs": spec["components"]["schemas"], **schema})
    jsonschema.Draft202012Validator(resolved).validate(instance)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else _rewrite_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/v1/repos", "200"),
        ("get", "/v1/repos/{id}", "200"),
        ("post", "/v1/repos/{id}/sync", "202"),
        ("get", "/v1/jobs", "200"),
        ("get", "/v1/me", "200"),
        ("get", "/v1/orgs", "200"),
        ("get", "/v1/tokens", "200"),
        ("get", "/v1/repos/{id}", "404"),
    ],
)
async def test_real_responses_match_their_schemas(
    client: Client, tenant: Tenant, method: str, path: str, status: str
) -> None:
    spec = await document(client)
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/a/b"}, headers=tenant.headers
    )
    repo_id = (await created.json())["id"]
    real = path.replace(
        "{id}", repo_id if status != "404" else "00000000-0000-0000-0000-000000000000"
    )
    response = await client.request(method.upper(), real, headers=tenant.headers)
    assert str(response.status) == status
    check(spec, response_schema(spec, path, method, status), await response.json())


async def test_docs_page_shows_every_operation_problem_and_scheme(client: Client) -> None:
    spec = await document(client)
    response = await client.get("/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    assert "<script" not in page
    for path, ops in spec["paths"].items():
        for method in ops:
            assert f"{method.upper()} {path}" in page, (method, path)
    for problem in spec["x-problem-types"]:
        assert problem["type"] in page
    for scheme in spec["components"]["securitySchemes"]:
        assert f'id="security-{scheme}"' in page
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in page


async def test_problem_types_dereference(client: Client, tenant: Tenant) -> None:
    missing = await client.get(
        "/v1/repos/00000000-0000-0000-0000-000000000000", headers=tenant.headers
    )
    problem_type = (await missing.json())["type"]
    described = await client.get(problem_type)
    assert described.status == 200
    assert (await described.json())["status"] == 404
    assert (await client.get("/problems/no-such-thing")).status == 404


async def test_docs_api_md_names_every_route(client: Client) -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text()
    app = client.app
    assert app is not None
    missing = [path for _, path, _, _ in documented_routes(app) if path not in text]
    assert missing == []


async def test_strings_the_api_takes_say_they_hold_no_nul(client: Client) -> None:
    """PostgreSQL stores no NUL, so a body or query string holding one is a 400: the
    document says so, or a client (and Schemathesis) would take it as valid."""
    doc = await document(client)
    token_body = doc["components"]["schemas"]["TokenCreate"]["properties"]["name"]
    assert token_body["pattern"] == "^[^\\u0000]*$"
    # a mapping's keys, also where they have other bounds (Schemathesis sent a matrix key
    # holding a NUL, which the document had allowed)
    matrix = doc["components"]["schemas"]["JobResult"]["properties"]["matrix"]
    assert matrix["propertyNames"] == {"maxLength": 2000, "pattern": "^[^\\u0000]*$"}
    # Responses may quote what was sent (a problem's detail): no such promise there.
    assert "pattern" not in doc["components"]["schemas"]["ProblemDetails"]["properties"]["detail"]
