"""GitHub sign-in (OAuth web flow with PKCE S256) and what it creates.

/auth/github/login stores {verifier, browser binding, mode} under an unguessable `state`
in Redis (short TTL) and sets a cookie holding the binding's secret; the callback takes
the state out of Redis exactly once (GETDEL: a replayed callback finds nothing), checks
the cookie, exchanges the code with the verifier, reads the user, and creates or updates
the user, their personal organization and their encrypted GitHub token. A browser gets a
session cookie; `mode=token` (the CLI) gets an API token shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

import aiohttp
import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.crypto import Keyring
from libs.common.db import credentials as credentials_db
from libs.common.db import members as members_db
from libs.common.db import orgs as orgs_db
from libs.common.db import sessions as sessions_db
from libs.common.db import tokens as tokens_db
from libs.common.redis import keys
from libs.github import oauth as gh_oauth
from libs.github.client import GitHubClient
from libs.github.errors import GitHubError, Transient
from services.api.http.errors import AppError, ServiceUnavailable

Mode = Literal["session", "token"]
BINDING_COOKIE = "ado_oauth"
CALLBACK_PATH = "/auth/github/callback"


class SignInNotConfigured(AppError):
    status = 503
    slug = "github-sign-in-not-configured"
    title = "GitHub sign-in is not configured on this server"


class InvalidState(AppError):
    # 403: a callback this browser did not start is refused as a forged one would be.
    status = 403
    slug = "oauth-state-invalid"
    title = "The sign-in attempt is unknown, expired or already used"


class SignInFailed(AppError):
    # 403: GitHub did not grant it (declined, or the code was refused).
    status = 403
    slug = "github-sign-in-failed"
    title = "GitHub did not complete the sign-in"


class _Pending(msgspec.Struct, kw_only=True):
    binding: str  # sha256 of the browser cookie's value
    verifier: str
    mode: Mode
    next: str


@dataclass(frozen=True)
class Started:
    authorize_url: str
    browser_secret: str  # the cookie value binding the callback to this browser


@dataclass(frozen=True)
class SignedIn:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    mode: Mode
    secret: str  # a session token (mode session) or an API token (mode token)
    next: str


def require_configured(settings: Settings, keyring: Keyring | None) -> tuple[str, str]:
    if not settings.github_client_id or not settings.github_client_secret:
        raise SignInNotConfigured("Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.")
    if keyring is None:
        raise SignInNotConfigured("Set ENCRYPTION_KEY: GitHub tokens are stored encrypted.")
    return settings.github_client_id, settings.github_client_secret.get()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# A path on this server in printable ASCII: browsers drop tabs and newlines from URLs, so
# "/\t/evil.example" would become "//evil.example", another site.
_NEXT = re.compile(r"/(?!/)[!-~]{0,499}")


def safe_next(value: str | None) -> str:
    """Only a path on this server: never an open redirect to another site."""
    if value and _NEXT.fullmatch(value) and "\\" not in value:
        return value
    return "/v1/me"


async def start(
    redis: Redis,
    settings: Settings,
    keyring: Keyring | None,
    redirect_uri: str,
    mode: Mode,
    next_path: str | None,
) -> Started:
    client_id, _ = require_configured(settings, keyring)
    state, pkce, browser_secret = (
        gh_oauth.new_state(),
        gh_oauth.new_pkce(),
        secrets.token_urlsafe(32),
    )
    pending = _Pending(
        binding=_digest(browser_secret),
        verifier=pkce.verifier,
        mode=mode,
        next=safe_next(next_path),
    )
    await redis.set(
        keys.oauth_state(state), msgspec.json.encode(pending), ex=settings.oauth_state_ttl_seconds
    )
    url = gh_oauth.authorize_url(
        settings.github_oauth_url,
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        challenge=pkce.challenge,
    )
    return Started(url, browser_secret)


async def _take_state(redis: Redis, state: str | None, browser_secret: str | None) -> _Pending:
    if not state or len(state) > 200:
        raise InvalidState("The callback carries no state; start again at /auth/github/login.")
    again = "Start again at /auth/github/login (sign-ins expire and work once)."
    raw = await redis.get(keys.oauth_state(state))
    if raw is None:
        raise InvalidState(again)
    pending = msgspec.json.decode(raw, type=_Pending)
    # Checked before the state is used up, so a callback from another browser cannot
    # spend the sign-in of the one that started it.
    if not browser_secret or not hmac.compare_digest(_digest(browser_secret), pending.binding):
        raise InvalidState("This sign-in was started in another browser; start again here.")
    if await redis.getdel(keys.oauth_state(state)) is None:
        raise InvalidState(again)  # a concurrent callback used it first
    return pending


async def finish(
    *,
    pool: asyncpg.Pool,
    redis: Redis,
    http: aiohttp.ClientSession,
    settings: Settings,
    keyring: Keyring | None,
    redirect_uri: str,
    state: str | None,
    code: str | None,
    browser_secret: str | None,
) -> SignedIn:
    client_id, client_secret = require_configured(settings, keyring)
    assert keyring is not None
    pending = await _take_state(redis, state, browser_secret)
    if not code:
        raise SignInFailed("GitHub sent no code (was the sign-in declined?).")
    try:
        token = await gh_oauth.exchange_code(
            http,
            settings.github_oauth_url,
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
            verifier=pending.verifier,
        )
        user = await GitHubClient(
            http, token=token.access_token, api_url=settings.github_api_url
        ).get_user()
    except Transient as exc:
        raise ServiceUnavailable(f"GitHub is not answering: {exc}") from None
    except GitHubError as exc:
        raise SignInFailed(str(exc)) from None
    async with pool.acquire() as conn, conn.transaction():
        user_id = await members_db.upsert_github_user(
            conn,
            github_id=user.id,
            login=user.login,
            name=user.name,
            email=user.email,
            avatar_url=user.avatar_url,
        )
        org_id = await orgs_db.ensure_personal_organization(
            conn, user_id, user.login, reserved=settings.admin_organization
        )
        sealed, key_id = keyring.encrypt(
            token.access_token.encode(), credentials_db.context(user_id)
        )
        await credentials_db.store_github_token(conn, user_id, sealed, key_id, token.scope or None)
        if pending.mode == "session":
            secret = await sessions_db.create_session(
                conn, user_id, org_id, settings.session_ttl_seconds
            )
        else:
            secret, _ = await tokens_db.create_token(conn, org_id, user_id, "GitHub sign-in")
    return SignedIn(user_id, org_id, pending.mode, secret, pending.next)
