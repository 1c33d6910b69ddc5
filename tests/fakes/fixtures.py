"""pytest fixtures for the outside world: import them into a conftest, or list this module
in `pytest_plugins` of the root conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.gemini import FakeGemini
from tests.fakes.github import FakeGitHub
from tests.fakes.sentry import FakeSentry


@pytest.fixture
async def fake_gemini() -> AsyncIterator[FakeGemini]:
    fake = FakeGemini()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_sentry() -> AsyncIterator[FakeSentry]:
    fake = FakeSentry()
    await fake.start()
    yield fake
    await fake.close()
