"""Schemathesis over /openapi.json against a real api on loopback: positive and negative
data for every operation, and no response may be a 5xx or break the document."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import msgspec

from libs.common.config import Settings
from libs.common.db import tokens
from services.api.app import create_app
from tests.conftest import Tenant, make_tenant
from tests.integration.api.conftest import Client, ClientFactory

# Bounded: a few examples per operation and a time budget, so it stays well under a
# minute on two busy cores while still trying both valid and invalid input everywhere.
MAX_EXAMPLES = 12
MAX_SECONDS = 40
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
    ]
)
# Event streams follow a job until it ends; a fuzzer would hold them open to its timeout.
# The dashboard's pages are HTML for a browser session (a cookie, CSRF-checked forms):
# to the fuzzer's bearer token every one is a redirect to sign-in; test_dashboard.py and
# the browser test cover them.
EXCLUDED = r"^(/v1/(events|jobs/\{id\}/events)|/|/dashboard.*)$"


async def seed(client: Client, db: asyncpg.Connection, operator: Tenant) -> list[str]:
    """Real ids for path parameters, so part of the requests reach rows, not just 404s.
    The operator's own token is left out: revoking it would end the run."""
    created = await client.post(
        "/v1/repos", json={"url": "https://example.com/acme/fuzz"}, headers=operator.headers
    )
    repo = (await created.json())["id"]
    sync = await client.post(f"/v1/repos/{repo}/sync", headers=operator.headers)
    spare, _ = await tokens.create_token(db, operator.organization_id, operator.user_id, "spare")
    spare_id = (await tokens.authenticate(db, spare)).token_id  # type: ignore[union-attr]
    return [repo, (await sync.json())["id"], str(operator.organization_id), str(spare_id)]


def config(values: dict[str, list[str]]) -> str:
    """schemathesis.toml: each path parameter takes one of `values` half of the time."""
    lines = []
    for name, found in values.items():
        listed = ", ".join(f'"{v}"' for v in found)
        lines += [f"[dictionaries.{name}]", f"values = [{listed}]", ""]
    lines.append("[parameters]")
    lines += [f'"path.{n}" = {{ dictionary = "{n}", probability = 0.5 }}' for n in values]
    return "\n".join(lines) + "\n"


async def test_schemathesis_finds_no_server_error_and_no_broken_response(
    aiohttp_client: ClientFactory, oauth_settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # The operator (the `default` organization's owner) reaches the admin routes too.
    operator = await make_tenant(db, "root", "default")
    # GitHub sign-in configured (against the fake), so its routes answer rather than 503;
    # budgets big enough that the fuzzer reaches the handlers instead of the limiter.
    settings = msgspec.structs.replace(
        oauth_settings,
        rate_limit_requests=1_000_000,
        rate_limit_auth_requests=1_000_000,
        rate_limit_expensive_requests=1_000_000,
        # Which addresses a URL may name is the deployment's policy (tested on its own);
        # here random hosts such as `0` would otherwise be refused as 0.0.0.0.
        allow_private_repo_hosts=True,
    )
    client = await aiohttp_client(create_app(settings))
    base = str(client.make_url("")).rstrip("/")
    values = {
        "id": await seed(client, db, operator),
        "user_id": [str(operator.user_id)],
        "slug": ["not-found", "validation-error", "invalid-parameter"],
    }
    (tmp_path / "schemathesis.toml").write_text(config(values))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {operator.token}",
        "--checks",
        CHECKS,
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--seed",
        "15",
        "--workers",
        "1",
        "--exclude-path-regex",
        EXCLUDED,
        "--request-timeout",
        "10",
        "--no-color",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")

    failures = text[text.find("FAILURES") :][:20_000]
    assert process.returncode == 0, failures
