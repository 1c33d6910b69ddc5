"""The fake GitHub's OAuth web flow: authorize (auto-approved) and the code exchange, with PKCE."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.github_state import FakeUser, OAuthGrant, new_token


@dataclass
class FakeOAuth:
    users: dict[str, FakeUser]  # token -> user, shared with the REST API
    apps: dict[str, str] = field(default_factory=dict)  # client_id -> secret
    signed_in: FakeUser | None = None  # who "approves" at /login/oauth/authorize
    grants: dict[str, OAuthGrant] = field(default_factory=dict)

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") not in self.apps or self.signed_in is None:
            return web.Response(status=404, text="unknown application or nobody signed in")
        challenge = query.get("code_challenge")
        if challenge and query.get("code_challenge_method") != "S256":
            return web.Response(status=400, text="only S256 code challenges are supported")
        code = secrets.token_hex(10)
        self.grants[code] = OAuthGrant(
            query["client_id"], query.get("redirect_uri", ""), challenge, self.signed_in
        )
        params = urlencode({"code": code, "state": query.get("state", "")})
        raise web.HTTPFound(f"{query.get('redirect_uri')}?{params}")

    async def access_token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        answer = self._exchange({k: str(v) for k, v in form.items()})
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response(answer)  # GitHub answers errors with 200 too
        return web.Response(
            text=urlencode(answer), content_type="application/x-www-form-urlencoded"
        )

    def _exchange(self, form: dict[str, str]) -> dict[str, str]:
        client_id = form.get("client_id", "")
        if self.apps.get(client_id) != form.get("client_secret"):
            return _oauth_error(
                "incorrect_client_credentials", "The client_id and/or secret are incorrect."
            )
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or grant.client_id != client_id:
            return _oauth_error("bad_verification_code", "The code passed is incorrect or expired.")
        if form.get("redirect_uri") and form["redirect_uri"] != grant.redirect_uri:
            return _oauth_error("redirect_uri_mismatch", "The redirect_uri does not match.")
        verifier = form.get("code_verifier")
        if grant.challenge is not None:
            digest = hashlib.sha256((verifier or "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                return _oauth_error("bad_verification_code", "The code_verifier does not match.")
        grant.used = True
        token = new_token()
        self.users[token] = grant.user
        return {"access_token": token, "token_type": "bearer", "scope": "repo,read:user"}


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}
