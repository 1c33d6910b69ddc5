"""Connecting a GitHub repository: with the user's own GitHub token, check they can read
it, register it with GitHub's metadata, and (with PUBLIC_URL, and admin rights on it)
create its webhook with a secret of its own."""

from __future__ import annotations

import uuid

import aiohttp
import asyncpg
import structlog

from libs.common.config import Settings
from libs.common.crypto import CryptoKeyError, Keyring
from libs.common.db import Conn
from libs.common.db import credentials as credentials_db
from libs.common.db import repos as repos_db
from libs.common.schemas import Principal, Repository
from libs.github import errors as gh_errors
from libs.github.client import GitHubClient
from libs.github.signatures import new_webhook_secret
from libs.github.types import RepoInfo
from services.api.http.errors import AppError, ServiceUnavailable

log = structlog.get_logger(__name__)


class GithubNotConnected(AppError):
    # 409: a well-formed request that the account's state (no GitHub token) refuses.
    status = 409
    slug = "github-not-connected"
    title = "GitHub repositories need GitHub sign-in"


class GithubRepoNotReadable(AppError):
    status = 400
    slug = "github-repository-not-readable"
    title = "The GitHub repository does not exist or your GitHub account cannot read it"


def hook_url(settings: Settings, repository_id: uuid.UUID) -> str | None:
    # One hook per registration: two organizations connecting the same repository each
    # get their own hook and secret instead of overwriting one another's.
    if not settings.public_url:
        return None
    return f"{settings.public_url.rstrip('/')}/webhooks/github?repository={repository_id}"


async def user_client(
    conn: Conn,
    http: aiohttp.ClientSession,
    settings: Settings,
    keyring: Keyring | None,
    user_id: uuid.UUID,
) -> GitHubClient:
    stored = await credentials_db.github_token(conn, user_id)
    if stored is None or keyring is None:
        raise GithubNotConnected("Sign in with GitHub first (/auth/github/login), then retry.")
    try:
        token = keyring.decrypt(stored.ciphertext, stored.key_id, credentials_db.context(user_id))
    except CryptoKeyError:
        raise GithubNotConnected(
            "Your stored GitHub token cannot be read; sign in again."
        ) from None
    return GitHubClient(http, token=token.decode(), api_url=settings.github_api_url)


async def _read(client: GitHubClient, full_name: str) -> RepoInfo:
    try:
        return await client.get_repo(full_name)
    except (gh_errors.NotFound, gh_errors.Forbidden):
        raise GithubRepoNotReadable(
            f"github: {full_name} is not readable with your GitHub account."
        ) from None
    except gh_errors.GitHubError as exc:
        raise ServiceUnavailable(f"GitHub did not answer as expected: {exc}") from None


async def connect(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    settings: Settings,
    keyring: Keyring | None,
    who: Principal,
    full_name: str,
) -> tuple[Repository, bool]:
    async with pool.acquire() as conn:
        client = await user_client(conn, http, settings, keyring, who.user_id)
    info = await _read(client, full_name)
    async with pool.acquire() as conn:
        repo, created = await repos_db.create_repository(
            conn,
            who.organization_id,
            provider="github",
            full_name=info.full_name,
            clone_url=info.clone_url,
            created_by=who.user_id,
            github_id=info.id,
        )
        await repos_db.set_github_details(
            conn,
            who.organization_id,
            repo.id,
            github_id=info.id,
            default_branch=info.default_branch,
            visibility=info.effective_visibility,
            topics=list(info.topics),
        )
    url = hook_url(settings, repo.id)
    if url is not None and keyring is not None and info.permissions.admin:
        await _register_hook(
            pool, client, keyring, who.organization_id, repo.id, info.full_name, url
        )
    async with pool.acquire() as conn:
        fresh = await repos_db.get_repository(conn, who.organization_id, repo.id)
    assert fresh is not None
    return fresh, created


async def _register_hook(
    pool: asyncpg.Pool,
    client: GitHubClient,
    keyring: Keyring,
    org_id: uuid.UUID,
    repo_id: uuid.UUID,
    full_name: str,
    url: str,
) -> None:
    secret = await _hook_secret(pool, keyring, org_id, repo_id)
    try:
        hook = await client.ensure_webhook(full_name, url=url, secret=secret)
    except gh_errors.GitHubError as exc:
        log.warning("webhook not registered", repository_id=str(repo_id), error=str(exc))
        return
    async with pool.acquire() as conn:
        await repos_db.store_webhook_id(conn, org_id, repo_id, hook.id)


async def _hook_secret(
    pool: asyncpg.Pool, keyring: Keyring, org_id: uuid.UUID, repo_id: uuid.UUID
) -> str:
    """The secret to give the repository's hook: the one already stored, so connecting
    again changes nothing GitHub holds (a failed update would otherwise leave GitHub and us
    with different secrets), or a new one, stored before the hook exists because GitHub
    pings a new hook at once and the ping must verify."""
    context = repos_db.secret_context(repo_id)
    fresh = new_webhook_secret()
    sealed, key_id = keyring.encrypt(fresh.encode(), context)
    async with pool.acquire() as conn:
        stored = await repos_db.keep_first_webhook_secret(conn, org_id, repo_id, sealed, key_id)
        if stored is not None:
            try:
                return keyring.decrypt(stored[0], stored[1], context).decode()
            except CryptoKeyError:  # sealed with a key no longer configured: replace it
                pass
        await repos_db.store_webhook_secret(conn, org_id, repo_id, sealed, key_id)
    return fresh
