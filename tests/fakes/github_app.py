"""The fake GitHub's App side: app JWTs, installations and their hour-long tokens.

An installation acts as its bot user (`<slug>[bot]`) with the access its permissions
grant on the repositories it was given, so every REST route of the fake serves it as
GitHub does. `expire_tokens()` ends every token at once (a token expiring mid-job);
`uninstall()` and `remove_repos()` take access away as the real events do.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.github_state import FakeRepo, FakeUser, new_token

_ids = itertools.count(40_000)
# GitHub refuses an app JWT whose lifetime is over ten minutes.
_MAX_JWT_LIFETIME_S = 600

DEFAULT_PERMISSIONS = {
    "metadata": "read",
    "contents": "write",
    "pull_requests": "write",
    "checks": "write",
    "security_events": "write",
    "administration": "read",
    "statuses": "read",
}


AppHandler = Callable[[web.Request], Awaitable[web.Response]]


def _message(status: int, message: str) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": "https://docs.github.com/rest/apps"},
        status=status,
    )


@dataclass
class FakeInstallation:
    id: int
    account: str
    account_type: str
    repos: list[FakeRepo]
    permissions: dict[str, str]
    suspended: bool = False

    def as_json(self, app_id: int, slug: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "app_id": app_id,
            "app_slug": slug,
            "account": {"login": self.account, "type": self.account_type},
            "repository_selection": "selected",
            "permissions": self.permissions,
            "events": ["push", "pull_request"],
            "suspended_at": "2026-01-01T00:00:00Z" if self.suspended else None,
        }


@dataclass
class FakeApps:
    users: dict[str, FakeUser]  # token -> user, shared with the REST API
    app_id: int = 0
    slug: str = "autodevops-test"
    token_ttl_s: int = 3600
    installations: dict[int, FakeInstallation] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # installation token -> its id
    minted: int = 0
    _public_key: Any = None

    @property
    def bot(self) -> str:
        return f"{self.slug}[bot]"

    def create(self, app_id: int = 0) -> str:
        """Register the app; its private key, PEM (what GitHub lets the owner download)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.app_id = app_id or next(_ids)
        self._public_key = key.public_key()
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()

    def install(
        self,
        account: str,
        repos: list[FakeRepo],
        *,
        permissions: dict[str, str] | None = None,
        account_type: str = "Organization",
    ) -> FakeInstallation:
        installation = FakeInstallation(
            next(_ids), account, account_type, [], dict(permissions or DEFAULT_PERMISSIONS)
        )
        self.installations[installation.id] = installation
        self.add_repos(installation, repos)
        return installation

    def add_repos(self, installation: FakeInstallation, repos: list[FakeRepo]) -> None:
        write = installation.permissions.get("contents") == "write"
        for repo in repos:
            installation.repos.append(repo)
            repo.access[self.bot] = "push" if write else "pull"

    def remove_repos(self, installation: FakeInstallation, repos: list[FakeRepo]) -> None:
        for repo in repos:
            installation.repos.remove(repo)
            repo.access.pop(self.bot, None)

    def uninstall(self, installation: FakeInstallation) -> None:
        self.remove_repos(installation, list(installation.repos))
        del self.installations[installation.id]
        self.expire_tokens(installation.id)

    def expire_tokens(self, installation_id: int | None = None) -> None:
        for token, owner in list(self.tokens.items()):
            if installation_id is None or owner == installation_id:
                del self.tokens[token]
                self.users.pop(token, None)

    def installation_of(self, token: str | None) -> FakeInstallation | None:
        owner = self.tokens.get(token or "")
        return self.installations.get(owner) if owner is not None else None

    # -- routes --------------------------------------------------------------------------
    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/app", self._as_app(self._app))
        router.add_get("/app/installations/{id}", self._as_app(self._get_installation))
        router.add_post("/app/installations/{id}/access_tokens", self._as_app(self._access_token))
        router.add_get("/repos/{owner}/{repo}/installation", self._as_app(self._repo_installation))

    def _as_app(self, handler: AppHandler) -> AppHandler:
        """Routes only the app itself may call: a 401 unless its JWT is good."""

        async def checked(request: web.Request) -> web.Response:
            refused = self._verify(request)
            return _message(401, refused) if refused else await handler(request)

        return checked

    def _verify(self, request: web.Request) -> str | None:
        """Why the request's app JWT is refused, or None when it is good."""
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or self._public_key is None:
            return "A JSON web token could not be decoded"
        try:
            claims = jwt.decode(
                token, self._public_key, algorithms=["RS256"], options={"require": ["iat", "exp"]}
            )
        except jwt.PyJWTError as exc:
            return f"A JSON web token could not be decoded ({type(exc).__name__})"
        if str(claims.get("iss")) != str(self.app_id):
            return "Integration not found"
        if claims["exp"] - claims["iat"] > _MAX_JWT_LIFETIME_S + 60:
            return "Expiration time' claim ('exp') is too far in the future"
        return None

    async def _app(self, request: web.Request) -> web.Response:
        return web.json_response({"id": self.app_id, "slug": self.slug, "name": self.slug})

    async def _get_installation(self, request: web.Request) -> web.Response:
        installation = self.installations.get(int(request.match_info["id"]))
        if installation is None:
            return _message(404, "Not Found")
        return web.json_response(installation.as_json(self.app_id, self.slug))

    async def _access_token(self, request: web.Request) -> web.Response:
        installation = self.installations.get(int(request.match_info["id"]))
        if installation is None:
            return _message(404, "Not Found")
        if installation.suspended:
            return _message(403, "This installation has been suspended")
        token = new_token("ghs_")
        self.tokens[token] = installation.id
        self.users[token] = FakeUser(self.bot)
        self.minted += 1
        expires = dt.datetime.fromtimestamp(time.time() + self.token_ttl_s, dt.UTC)
        return web.json_response(
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": installation.permissions,
                "repository_selection": "selected",
            },
            status=201,
        )

    async def _repo_installation(self, request: web.Request) -> web.Response:
        name = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        for installation in self.installations.values():
            if any(r.full_name.lower() == name for r in installation.repos):
                return web.json_response(installation.as_json(self.app_id, self.slug))
        return _message(404, "Not Found")
