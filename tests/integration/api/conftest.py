from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import aiohttp
import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from libs.common.config import SecretStr, Settings
from libs.common.crypto import generate_key
from services.api.app import create_app
from services.api.github_signin import BINDING_COOKIE
from tests.fakes.github import FakeGitHub

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]


@pytest.fixture
async def client(aiohttp_client: ClientFactory, settings: Settings) -> Client:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def oauth_settings(settings: Settings, fake_github: FakeGitHub) -> Settings:
    fake_github.oauth.apps["cid"] = "csecret"
    return msgspec.structs.replace(
        settings,
        github_client_id="cid",
        github_client_secret=SecretStr("csecret"),
        github_api_url=fake_github.api_url,
        github_oauth_url=fake_github.url,
        encryption_key=SecretStr(generate_key()),
    )


@pytest.fixture
async def web_client(aiohttp_client: ClientFactory, oauth_settings: Settings) -> Client:
    return await aiohttp_client(create_app(oauth_settings))


@dataclass
class Callback:
    url: str  # the path and query GitHub redirects the browser to
    binding: str  # the cookie the login set


async def start_sign_in(client: Client, fake: FakeGitHub, login: str, mode: str = "") -> Callback:
    user, _ = fake.add_user(login, name=login.title(), email=f"{login}@example.com")
    fake.oauth.signed_in = user
    query = f"?mode={mode}" if mode else ""
    started = await client.get(f"/auth/github/login{query}", allow_redirects=False)
    assert started.status == 302
    cookie = started.cookies[BINDING_COOKIE]
    assert (cookie["httponly"], cookie["secure"], cookie["samesite"]) == (True, True, "Lax")
    authorize = started.headers["Location"]
    params = parse_qs(urlsplit(authorize).query)
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["state"][0]) >= 32
    async with aiohttp.ClientSession() as browser:
        async with browser.get(authorize, allow_redirects=False) as approved:
            assert approved.status == 302
            back = urlsplit(approved.headers["Location"])
    assert back.path == "/auth/github/callback"
    return Callback(f"{back.path}?{back.query}", cookie.value)


async def finish(
    client: Client, callback: Callback, binding: str | None = None
) -> aiohttp.ClientResponse:
    cookie = binding if binding is not None else callback.binding
    headers = {"Cookie": f"{BINDING_COOKIE}={cookie}"} if cookie else {}
    return await client.get(callback.url, headers=headers, allow_redirects=False)


async def signed_in_token(client: Client, fake: FakeGitHub, login: str) -> str:
    """An API token of a user who signed in with GitHub (mode=token)."""
    done = await finish(client, await start_sign_in(client, fake, login, mode="token"))
    assert done.status == 200
    token: str = (await done.json())["token"]
    return token
