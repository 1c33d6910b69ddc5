from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import msgspec
import pytest
from aiohttp import ClientResponse

from libs.common.config import SecretStr, Settings
from libs.common.crypto import Keyring, generate_key
from libs.common.redis import keys
from libs.github.signatures import sign
from services.api.app import create_app
from services.worker.deps import Deps
from tests.conftest import Tenant
from tests.helpers import github_repository
from tests.integration.api.conftest import Client, ClientFactory

SECRET = b"global webhook secret"


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        github_webhook_secret=SecretStr(SECRET.decode()),
        encryption_key=SecretStr(generate_key()),
    )


@pytest.fixture
async def deps(hook_settings: Settings) -> AsyncIterator[Deps]:
    made = await Deps.create(hook_settings)
    yield made
    await made.close()


@pytest.fixture
async def hooks(aiohttp_client: ClientFactory, hook_settings: Settings) -> Client:
    return await aiohttp_client(create_app(hook_settings))


def push_payload(
    *,
    github_id: int = 4242,
    full_name: str = "octo/app",
    ref: str = "refs/heads/main",
    after: str = "a" * 40,
    default_branch: str = "main",
) -> dict[str, object]:
    return {
        "ref": ref,
        "before": "0" * 40,
        "after": after,
        "deleted": False,
        "repository": {
            "id": github_id,
            "full_name": full_name,
            "default_branch": default_branch,
            "clone_url": f"https://github.com/{full_name}.git",
            "private": False,
        },
    }


@dataclass
class Delivery:
    body: bytes
    event: str = "push"
    delivery: str = ""
    hook_id: str = "1"
    secret: bytes = SECRET
    content_type: str = "application/json"

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": self.content_type,
            "X-GitHub-Event": self.event,
            "X-GitHub-Delivery": self.delivery or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": self.hook_id,
            "X-Hub-Signature-256": sign(self.secret, self.body),
        }


def body_of(payload: object) -> bytes:
    return json.dumps(payload).encode()


def seen_key(delivery: Delivery) -> str:
    """The api's dedup key for a delivery: its hook and the digest of its body."""
    return keys.webhook_dedup(int(delivery.hook_id), hashlib.sha256(delivery.body).hexdigest())


async def deliver(client: Client, delivery: Delivery) -> ClientResponse:
    return await client.post(
        "/webhooks/github", data=io.BytesIO(delivery.body), headers=delivery.headers()
    )


async def repo_with_secret(
    db: asyncpg.Connection,
    settings: Settings,
    tenant: Tenant,
    secret: bytes,
    *,
    full_name: str = "octo/app",
    github_id: int = 4242,
    hook_id: int | None = None,
) -> uuid.UUID:
    """A GitHub repository with its own encrypted webhook secret, as connecting one makes."""
    assert settings.encryption_key is not None
    repo = await github_repository(
        db,
        tenant,
        full_name,
        Keyring(settings.encryption_key.get()),
        github_id=github_id,
        webhook_secret=secret,
        hook_id=hook_id,
    )
    return repo.id
