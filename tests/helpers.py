"""Small helpers tests share: git repositories on disk, registered GitHub repositories,
SSE parsing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from libs.common.crypto import Keyring
from libs.common.db import credentials
from libs.common.db import repos as repos_db
from libs.common.schemas import Repository
from tests.conftest import Tenant

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`autodevops ARGS` as a separate process from the checkout, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin",
}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def make_repo(path: Path, files: dict[str, str], branch: str = "main") -> str:
    """A git repository with one commit of `files`; returns the commit sha."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return git(path, "rev-parse", "HEAD")


async def github_repository(
    db: asyncpg.Connection,
    tenant: Tenant,
    full_name: str,
    keyring: Keyring,
    *,
    github_id: int | None = None,
    token: str | None = None,
    webhook_secret: bytes | None = None,
    hook_id: int | None = None,
) -> Repository:
    """A GitHub repository registered by `tenant`, as connecting one leaves it: the tenant's
    GitHub `token` and the repository's own `webhook_secret` stored encrypted when given."""
    repo, _ = await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="github",
        full_name=full_name,
        clone_url=f"https://github.com/{full_name}.git",
        created_by=tenant.user_id,
        github_id=github_id,
    )
    if token is not None:
        sealed, key_id = keyring.encrypt(token.encode(), credentials.context(tenant.user_id))
        await credentials.store_github_token(db, tenant.user_id, sealed, key_id, "repo")
    if webhook_secret is not None:
        sealed, key_id = keyring.encrypt(webhook_secret, repos_db.secret_context(repo.id))
        await repos_db.store_webhook_secret(db, tenant.organization_id, repo.id, sealed, key_id)
    if hook_id is not None:
        await repos_db.store_webhook_id(db, tenant.organization_id, repo.id, hook_id)
    return repo


@dataclass
class SseEvent:
    id: str | None
    event: str
    data: str


def parse_sse(text: str) -> list[SseEvent]:
    """Events from an SSE body (comments and `retry:` lines skipped)."""
    found: list[SseEvent] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            fields[key] = value
        if "data" in fields:
            found.append(SseEvent(fields.get("id"), fields.get("event", "message"), fields["data"]))
    return found
