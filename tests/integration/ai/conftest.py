from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec
import pytest

from libs.ai.client import Gemini
from libs.ai.config import AiConfig
from libs.common.config import SecretStr, Settings
from libs.common.db.pool import create_pool
from tests.fakes.gemini import FakeGemini
from tests.unit.ai.samples import write_tree


@pytest.fixture
def ai_settings(settings: Settings, fake_gemini: FakeGemini) -> Settings:
    return msgspec.structs.replace(
        settings,
        gemini_api_key=SecretStr("test-gemini-key"),
        gemini_base_url=fake_gemini.url,
        gemini_timeout_seconds=1,
    )


@pytest.fixture
async def gemini(ai_settings: Settings) -> AsyncIterator[Gemini]:
    config = AiConfig.from_settings(ai_settings)
    assert config is not None
    # Tests wait what Retry-After says, but not the default first backoff of a second.
    client = Gemini(dataclasses.replace(config, retry_wait_initial_s=0.01))
    yield client
    await client.aclose()


@pytest.fixture
async def pool(ai_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(ai_settings)
    yield pool
    await pool.close()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "tree")
