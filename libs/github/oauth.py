"""GitHub's OAuth web flow with PKCE (S256): the authorize URL and the code exchange.

The gateway keeps `state` and the PKCE verifier server-side (Redis, short TTL) and binds
them to the browser; these helpers make and use them. GITHUB_OAUTH_URL points at GitHub
Enterprise or a test fake.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import msgspec

from libs.github.errors import Forbidden, GitHubError, Transient
from libs.github.types import OAuthToken

DEFAULT_SCOPES = ("read:user", "user:email", "repo", "admin:repo_hook")


@dataclass(frozen=True, repr=False)
class Pkce:
    verifier: str  # kept server-side until the callback
    challenge: str  # sent in the authorize URL

    def __repr__(self) -> str:
        return f"Pkce(challenge={self.challenge!r})"


def new_state() -> str:
    """An unguessable value that ties the callback to the login that started it."""
    return secrets.token_urlsafe(32)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pkce() -> Pkce:
    """A 64-character verifier (RFC 7636 allows 43-128) and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    return Pkce(verifier=verifier, challenge=s256(verifier))


def authorize_url(
    oauth_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    challenge: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "allow_signup": "false",
        }
    )
    return f"{oauth_url.rstrip('/')}/login/oauth/authorize?{query}"


class OAuthError(GitHubError):
    """GitHub refused the exchange; `error` is its code (bad_verification_code, ...)."""

    def __init__(self, error: str, description: str | None) -> None:
        super().__init__(f"GitHub sign-in failed: {description or error}")
        self.error = error


class _Answer(msgspec.Struct):
    access_token: str | None = None
    token_type: str = "bearer"
    scope: str = ""
    error: str | None = None
    error_description: str | None = None


async def exchange_code(
    session: aiohttp.ClientSession,
    oauth_url: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    verifier: str,
    timeout_s: float = 15.0,
) -> OAuthToken:
    """Trade the callback's `code` (and the PKCE verifier) for an access token."""
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    try:
        async with session.post(
            f"{oauth_url.rstrip('/')}/login/oauth/access_token",
            data=form,
            headers={"Accept": "application/json", "User-Agent": "autodevops"},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Transient(f"GitHub sign-in could not reach GitHub ({type(exc).__name__})") from exc
    if status >= 500:
        raise Transient(f"GitHub sign-in failed: GitHub answered {status}", status)
    if status in (401, 403):
        raise Forbidden("GitHub sign-in failed: the OAuth app credentials were refused", status)
    try:
        answer = msgspec.json.decode(body, type=_Answer)
    except msgspec.DecodeError:
        raise GitHubError(f"GitHub sign-in failed: unreadable answer ({status})", status) from None
    # GitHub reports a bad code with 200 and an `error` field.
    if answer.error or not answer.access_token:
        raise OAuthError(answer.error or "no_token", answer.error_description)
    return OAuthToken(
        access_token=answer.access_token, token_type=answer.token_type, scope=answer.scope
    )
