from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from libs.github.app import GitHubApp
from tests.fakes.github import FakeGitHub


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def app(fake_github: FakeGitHub, session: aiohttp.ClientSession) -> GitHubApp:
    """A GitHub App the fake knows, acting through its API."""
    key = fake_github.apps.create()
    return GitHubApp(
        session, app_id=fake_github.apps.app_id, private_key=key, api_url=fake_github.api_url
    )
