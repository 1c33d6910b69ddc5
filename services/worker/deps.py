"""What every job needs, built once per worker process and put in arq's ctx."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
from redis.asyncio import Redis

from libs.ai.client import Gemini
from libs.common.config import Settings, github_app_key, keyring
from libs.common.crypto import Keyring
from libs.common.db import credentials
from libs.common.db.pool import create_pool
from libs.common.metrics import Metrics
from libs.common.redis.client import create_redis
from libs.common.redis.github_waits import RedisRateGate
from libs.github.app import GitHubApp
from libs.github.client import GitHubClient


@dataclass
class Deps:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    metrics: Metrics
    http: aiohttp.ClientSession
    gemini: Gemini | None
    keyring: Keyring | None
    github_app: GitHubApp | None = None

    @classmethod
    async def create(cls, settings: Settings, metrics: Metrics | None = None) -> Deps:
        # min_size=0 opens no connection here: a worker starts (and waits) while
        # PostgreSQL is down, instead of exiting.
        pool = await create_pool(settings, min_size=0)
        redis = create_redis(settings)
        http = aiohttp.ClientSession()
        key = github_app_key(settings)
        app = None
        if settings.github_app_id is not None and key is not None:
            app = GitHubApp(
                http,
                app_id=settings.github_app_id,
                private_key=key,
                api_url=settings.github_api_url,
                gate=RedisRateGate(redis),
                # A token handed to a job outlives the job (they are also renewed on a 401).
                margin_s=max(
                    300.0,
                    settings.analysis_timeout_seconds + 60.0,
                    settings.ci_generation_timeout_seconds + 60.0,
                ),
            )
        return cls(
            settings=settings,
            pool=pool,
            redis=redis,
            metrics=metrics or Metrics.for_service(settings, "worker"),
            http=http,
            gemini=Gemini.from_settings(settings),
            keyring=keyring(settings),
            github_app=app,
        )

    @property
    def workdir(self) -> Path:
        """Where jobs unpack trees; each job takes its own subfolder and removes it.

        By default the system temp directory, on disk: a tree of up to REPO_MAX_BYTES per
        running job does not belong in RAM (/dev/shm). WORKDIR=/dev/shm unpacks faster
        where memory is plenty.
        """
        if self.settings.workdir:
            return Path(self.settings.workdir)
        return Path(tempfile.gettempdir())

    def github(self, token: str | None) -> GitHubClient:
        """GitHub's REST API (GITHUB_API_URL) for `token`, on the worker's HTTP session."""
        return GitHubClient(self.http, token=token, api_url=self.settings.github_api_url)

    async def github_token(self, user_id: uuid.UUID | None) -> str | None:
        """The user's GitHub token, decrypted; None without a user, a token or a key."""
        if user_id is None or self.keyring is None:
            return None
        async with self.pool.acquire() as conn:
            stored = await credentials.github_token(conn, user_id)
        if stored is None:
            return None
        plain = self.keyring.decrypt(stored.ciphertext, stored.key_id, credentials.context(user_id))
        return plain.decode()

    async def close(self) -> None:
        if self.gemini is not None:
            await self.gemini.aclose()
        await self.http.close()
        await self.redis.aclose()
        await self.pool.close()
