"""The OAuth web flow with PKCE against the local GitHub, as the gateway will run it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from libs.github.client import GitHubClient
from libs.github.oauth import OAuthError, authorize_url, exchange_code, new_pkce, new_state
from tests.fakes.github import FakeGitHub

CLIENT_ID, CLIENT_SECRET = "Iv1.client", "client-secret"
CALLBACK = "https://autodevops.example/auth/github/callback"


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.oauth.apps[CLIENT_ID] = CLIENT_SECRET
    fake_github.oauth.signed_in, _ = fake_github.add_user("octocat", name="The Octocat")
    return fake_github


async def authorize(
    session: aiohttp.ClientSession, github: FakeGitHub, challenge: str
) -> dict[str, str]:
    """Follow the authorize URL as a browser would, up to the redirect to our callback."""
    state = new_state()
    url = authorize_url(
        github.url, client_id=CLIENT_ID, redirect_uri=CALLBACK, state=state, challenge=challenge
    )
    async with session.get(url, allow_redirects=False) as response:
        assert response.status == 302
        location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == state
    return query


async def exchange(
    session: aiohttp.ClientSession, github: FakeGitHub, code: str, verifier: str, **over: str
) -> str:
    token = await exchange_code(
        session,
        github.url,
        client_id=over.get("client_id", CLIENT_ID),
        client_secret=over.get("client_secret", CLIENT_SECRET),
        code=code,
        redirect_uri=CALLBACK,
        verifier=verifier,
    )
    return token.access_token


async def test_code_for_token_then_the_user(
    github: FakeGitHub, session: aiohttp.ClientSession
) -> None:
    pkce = new_pkce()
    query = await authorize(session, github, pkce.challenge)
    token = await exchange(session, github, query["code"], pkce.verifier)
    user = await GitHubClient(session, token=token, api_url=github.api_url).get_user()
    assert user.login == "octocat"
    assert user.name == "The Octocat"


async def test_a_wrong_verifier_is_refused(
    github: FakeGitHub, session: aiohttp.ClientSession
) -> None:
    query = await authorize(session, github, new_pkce().challenge)
    with pytest.raises(OAuthError) as caught:
        await exchange(session, github, query["code"], new_pkce().verifier)
    assert caught.value.error == "bad_verification_code"
    assert "code_verifier" in caught.value.message


async def test_a_code_works_once(github: FakeGitHub, session: aiohttp.ClientSession) -> None:
    pkce = new_pkce()
    query = await authorize(session, github, pkce.challenge)
    await exchange(session, github, query["code"], pkce.verifier)
    with pytest.raises(OAuthError) as caught:
        await exchange(session, github, query["code"], pkce.verifier)
    assert caught.value.error == "bad_verification_code"


async def test_wrong_app_credentials(github: FakeGitHub, session: aiohttp.ClientSession) -> None:
    pkce = new_pkce()
    query = await authorize(session, github, pkce.challenge)
    with pytest.raises(OAuthError) as caught:
        await exchange(session, github, query["code"], pkce.verifier, client_secret="nope")
    assert caught.value.error == "incorrect_client_credentials"
