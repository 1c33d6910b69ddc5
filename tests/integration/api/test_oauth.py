"""GitHub sign-in end to end, against the fake GitHub's OAuth and REST endpoints."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import asyncpg
import msgspec
import pytest

from libs.common.config import Settings
from libs.common.crypto import Keyring
from libs.common.db import credentials
from libs.common.db.orgs import bootstrap_admin
from services.api.app import create_app
from services.api.github_signin import BINDING_COOKIE
from tests.fakes.github import FakeGitHub
from tests.integration.api.conftest import (
    Callback,
    Client,
    ClientFactory,
    finish,
    start_sign_in,
)

PROBLEM = "application/problem+json"


async def test_browser_sign_in_creates_user_org_session_and_encrypted_token(
    web_client: Client, fake_github: FakeGitHub, oauth_settings: Settings, db: asyncpg.Connection
) -> None:
    callback = await start_sign_in(web_client, fake_github, "octocat")
    done = await finish(web_client, callback)
    assert done.status == 302
    assert done.headers["Location"] == "/v1/me"
    session = done.cookies["ado_session"]
    assert (session["httponly"], session["secure"], session["samesite"]) == (True, True, "Lax")
    me = await web_client.get("/v1/me", headers={"Cookie": f"ado_session={session.value}"})
    assert me.status == 200
    body = await me.json()
    assert body["user"]["login"] == "octocat"
    assert (body["organization"]["slug"], body["organization"]["role"]) == ("octocat", "owner")
    assert body["organization"]["personal"] is True
    # The GitHub token is stored encrypted, bound to the user, and decrypts to the real one.
    user_id = await db.fetchval("SELECT id FROM users WHERE login = 'octocat'")
    stored = await credentials.github_token(db, user_id)
    assert stored is not None
    assert oauth_settings.encryption_key is not None
    ring = Keyring(oauth_settings.encryption_key.get())
    plain = ring.decrypt(stored.ciphertext, stored.key_id, credentials.context(user_id)).decode()
    assert fake_github.users[plain].login == "octocat"  # the token the exchange issued
    assert plain.encode() not in stored.ciphertext


async def test_a_replayed_callback_is_refused(web_client: Client, fake_github: FakeGitHub) -> None:
    callback = await start_sign_in(web_client, fake_github, "replayer")
    assert (await finish(web_client, callback)).status == 302
    replay = await finish(web_client, callback)
    assert replay.status == 403
    assert replay.content_type == PROBLEM
    assert (await replay.json())["type"] == "/problems/oauth-state-invalid"


@pytest.mark.parametrize("case", ["no state", "unknown state", "no cookie", "other browser"])
async def test_missing_or_foreign_state_is_refused(
    web_client: Client, fake_github: FakeGitHub, db: asyncpg.Connection, case: str
) -> None:
    callback = await start_sign_in(web_client, fake_github, "victim")
    url, binding = callback.url, callback.binding
    if case == "no state":
        url = url.split("&state=")[0] if "&state=" in url else url.replace("state=", "x=")
    elif case == "unknown state":
        url = url.replace("state=", "state=forged")
    elif case == "no cookie":
        binding = ""
    else:
        binding = "someone-elses-cookie"
    refused = await finish(web_client, Callback(url, binding), binding)
    assert refused.status == 403
    assert (await refused.json())["type"] == "/problems/oauth-state-invalid"
    assert "ado_session" not in refused.cookies
    assert await db.fetchval("SELECT count(*) FROM users WHERE login = 'victim'") == 0
    if case in ("no cookie", "other browser"):
        # A stray callback did not use up the sign-in: the browser that started it finishes.
        assert (await finish(web_client, callback)).status == 302


async def test_cli_sign_in_returns_an_api_token_once(
    web_client: Client, fake_github: FakeGitHub
) -> None:
    callback = await start_sign_in(web_client, fake_github, "cli-user", mode="token")
    done = await finish(web_client, callback)
    assert done.status == 200
    assert done.headers["Cache-Control"] == "no-store"
    token = (await done.json())["token"]
    me = await web_client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (await me.json())["user"]["login"] == "cli-user"


async def test_signing_in_again_updates_the_same_user_and_org(
    web_client: Client, fake_github: FakeGitHub, db: asyncpg.Connection
) -> None:
    first = await start_sign_in(web_client, fake_github, "again")
    assert (await finish(web_client, first)).status == 302
    user = fake_github.oauth.signed_in
    assert user is not None
    user.name = "Renamed"
    started = await web_client.get("/auth/github/login", allow_redirects=False)
    async with aiohttp.ClientSession() as browser:
        async with browser.get(started.headers["Location"], allow_redirects=False) as approved:
            back = urlsplit(approved.headers["Location"])
    second = Callback(f"{back.path}?{back.query}", started.cookies[BINDING_COOKIE].value)
    assert (await finish(web_client, second)).status == 302
    assert await db.fetchval("SELECT count(*) FROM users WHERE github_id = $1", user.id) == 1
    assert await db.fetchval("SELECT name FROM users WHERE github_id = $1", user.id) == "Renamed"
    orgs = await db.fetchval(
        "SELECT count(*) FROM organizations o JOIN users u ON u.id = o.personal_owner_id"
        " WHERE u.github_id = $1",
        user.id,
    )
    assert orgs == 1


async def test_a_github_login_never_takes_over_a_local_account(
    web_client: Client, fake_github: FakeGitHub, db: asyncpg.Connection
) -> None:
    admin_id, default_org = await bootstrap_admin(db, login="admin", org_slug="admin")
    callback = await start_sign_in(web_client, fake_github, "admin", mode="token")
    token = (await (await finish(web_client, callback)).json())["token"]
    me = await (await web_client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["user"]["id"] != str(admin_id)
    assert me["user"]["login"].startswith("admin-gh")
    assert me["organization"]["id"] != str(default_org)


async def test_a_github_login_named_like_the_operator_organization_gets_another_slug(
    web_client: Client, fake_github: FakeGitHub
) -> None:
    callback = await start_sign_in(web_client, fake_github, "default", mode="token")
    token = (await (await finish(web_client, callback)).json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = await (await web_client.get("/v1/me", headers=headers)).json()
    assert me["organization"]["slug"] == "default-2"
    assert (await web_client.get("/v1/admin/queues", headers=headers)).status == 403


async def test_declined_sign_in_is_403(web_client: Client) -> None:
    declined = await web_client.get("/auth/github/callback?error=access_denied&state=x")
    assert declined.status == 403
    assert (await declined.json())["type"] == "/problems/github-sign-in-failed"


async def test_unconfigured_sign_in_says_what_is_missing(client: Client) -> None:
    response = await client.get("/auth/github/login", allow_redirects=False)
    assert response.status == 503
    body = await response.json()
    assert body["type"] == "/problems/github-sign-in-not-configured"
    assert "GITHUB_CLIENT_ID" in body["detail"]


async def test_sign_in_has_a_strict_rate_limit(
    aiohttp_client: ClientFactory, oauth_settings: Settings
) -> None:
    strict = msgspec.structs.replace(oauth_settings, rate_limit_auth_requests=2)
    client: Client = await aiohttp_client(create_app(strict))
    statuses = [
        (await client.get("/auth/github/login", allow_redirects=False)).status for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


async def test_logout_ends_the_session(web_client: Client, fake_github: FakeGitHub) -> None:
    callback = await start_sign_in(web_client, fake_github, "leaver")
    session = (await finish(web_client, callback)).cookies["ado_session"].value
    cookie = {"Cookie": f"ado_session={session}"}
    origin = str(web_client.make_url("/")).rstrip("/")
    out = await web_client.post("/auth/logout", headers=cookie | {"Origin": origin})
    assert out.status == 204
    assert (await web_client.get("/v1/me", headers=cookie)).status == 401
