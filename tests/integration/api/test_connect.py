"""Connecting GitHub repositories by name: read check, metadata, webhook with its own secret."""

from __future__ import annotations

import io
import uuid

import asyncpg
import msgspec
import pytest
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.crypto import Keyring
from libs.common.redis import keys, webhook_stream
from libs.github.signatures import sign
from services.api.app import create_app
from tests.conftest import Tenant
from tests.fakes.github import FakeGitHub
from tests.integration.api.conftest import Client, ClientFactory, signed_in_token

PUBLIC = "https://ado.example.com"


@pytest.fixture
async def public_client(aiohttp_client: ClientFactory, oauth_settings: Settings) -> Client:
    with_url = msgspec.structs.replace(oauth_settings, public_url=PUBLIC)
    return await aiohttp_client(create_app(with_url))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def stored_secret(
    db: asyncpg.Connection, settings: Settings, repo_id: str
) -> tuple[bytes, bytes]:
    """A repository's stored webhook secret: its ciphertext, and what it decrypts to under
    the repository's context."""
    row = await db.fetchrow(
        "SELECT webhook_secret, webhook_key_id FROM repositories WHERE id = $1",
        uuid.UUID(repo_id),
    )
    assert row is not None
    assert settings.encryption_key is not None
    plain = Keyring(settings.encryption_key.get()).decrypt(
        row["webhook_secret"],
        row["webhook_key_id"],
        f"repositories.webhook_secret:{repo_id}".encode(),
    )
    return bytes(row["webhook_secret"]), plain


async def test_connecting_registers_metadata_and_a_webhook(
    public_client: Client,
    fake_github: FakeGitHub,
    oauth_settings: Settings,
    db: asyncpg.Connection,
    redis: Redis,
) -> None:
    token = await signed_in_token(public_client, fake_github, "octocat")
    gh_repo = fake_github.add_repo("octocat/Hello", {"README.md": "hi"}, topics=["demo"])
    created = await public_client.post(
        "/v1/repos", json={"github": "octocat/hello"}, headers=bearer(token)
    )
    assert created.status == 201
    repo = await created.json()
    assert (repo["provider"], repo["full_name"]) == ("github", "octocat/Hello")
    assert (repo["default_branch"], repo["visibility"], repo["topics"]) == (
        "main",
        "public",
        ["demo"],
    )
    [hook] = gh_repo.hooks
    assert repo["webhook_id"] == hook["id"]
    assert sorted(hook["events"]) == ["ping", "pull_request", "push", "repository"]
    assert hook["config"]["url"] == f"{PUBLIC}/webhooks/github?repository={repo['id']}"
    assert hook["config"]["content_type"] == "json"
    # The secret GitHub holds is the one we stored, encrypted under the repository's context.
    ciphertext, secret = await stored_secret(db, oauth_settings, repo["id"])
    assert secret.decode() == hook["config"]["secret"]
    assert secret not in ciphertext
    # And a delivery GitHub signs with it is accepted for this repository only.
    body = b'{"zen": "Speak like a human.", "hook_id": %d}' % hook["id"]
    delivered = await public_client.post(
        "/webhooks/github",
        data=io.BytesIO(body),
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(hook["id"]),
            "X-Hub-Signature-256": sign(secret, body),
        },
    )
    assert delivered.status == 202
    [(_, fields)] = await redis.xrange(keys.WEBHOOKS_STREAM)
    assert str(webhook_stream.from_fields(fields).repository_id) == repo["id"]


async def test_connecting_twice_is_the_same_repository_and_one_hook(
    public_client: Client, fake_github: FakeGitHub
) -> None:
    token = await signed_in_token(public_client, fake_github, "twice")
    gh_repo = fake_github.add_repo("twice/app", {"a": "b"})
    first = await public_client.post(
        "/v1/repos", json={"github": "twice/app"}, headers=bearer(token)
    )
    again = await public_client.post(
        "/v1/repos", json={"github": "twice/app"}, headers=bearer(token)
    )
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["id"] == (await again.json())["id"]
    assert len(gh_repo.hooks) == 1


async def test_connecting_again_keeps_the_secret_github_holds(
    public_client: Client,
    fake_github: FakeGitHub,
    oauth_settings: Settings,
    db: asyncpg.Connection,
) -> None:
    token = await signed_in_token(public_client, fake_github, "keeper")
    gh_repo = fake_github.add_repo("keeper/app", {"a": "b"})
    first = await public_client.post(
        "/v1/repos", json={"github": "keeper/app"}, headers=bearer(token)
    )
    repo_id = (await first.json())["id"]
    [hook] = gh_repo.hooks
    held = hook["config"]["secret"]
    # Connecting again while GitHub fails to update the hook changes nothing it holds.
    fake_github.fail("PATCH", "/repos/keeper/app/hooks", 502)
    again = await public_client.post(
        "/v1/repos", json={"github": "keeper/app"}, headers=bearer(token)
    )
    assert again.status == 200
    _, stored = await stored_secret(db, oauth_settings, repo_id)
    assert stored.decode() == held == hook["config"]["secret"]


async def test_without_public_url_or_admin_rights_no_hook_is_made(
    web_client: Client, public_client: Client, fake_github: FakeGitHub
) -> None:
    token = await signed_in_token(web_client, fake_github, "reader")
    own = fake_github.add_repo("reader/own", {"a": "b"})
    no_url = await web_client.post(
        "/v1/repos", json={"github": "reader/own"}, headers=bearer(token)
    )
    assert no_url.status == 201
    assert (await no_url.json())["webhook_id"] is None
    assert own.hooks == []
    # Someone else's public repository: readable, but no rights to add a hook.
    theirs = fake_github.add_repo("other/lib", {"a": "b"})
    readable = await public_client.post(
        "/v1/repos", json={"github": "other/lib"}, headers=bearer(token)
    )
    assert readable.status == 201
    assert (await readable.json())["webhook_id"] is None
    assert theirs.hooks == []


async def test_unreadable_repositories_are_refused(
    web_client: Client, fake_github: FakeGitHub, db: asyncpg.Connection
) -> None:
    token = await signed_in_token(web_client, fake_github, "outsider")
    fake_github.add_repo("corp/secret", {"a": "b"}, private=True)
    for name in ("corp/secret", "corp/missing"):
        response = await web_client.post("/v1/repos", json={"github": name}, headers=bearer(token))
        assert response.status == 400, name
        assert (await response.json())["type"] == "/problems/github-repository-not-readable"
    assert await db.fetchval("SELECT count(*) FROM repositories") == 0


async def test_without_github_sign_in_it_says_so(client: Client, tenant: Tenant) -> None:
    response = await client.post(
        "/v1/repos", json={"github": "octocat/hello"}, headers=tenant.headers
    )
    assert response.status == 409
    problem = await response.json()
    assert problem["type"] == "/problems/github-not-connected"
    assert "/auth/github/login" in problem["detail"]
