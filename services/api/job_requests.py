"""Requesting work on a registered repository: a sync, or an analysis of one commit."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import asyncpg
import msgspec
from redis.asyncio import Redis

from libs.common import jobs
from libs.common.config import Settings
from libs.common.db import jobs as jobs_db
from libs.common.redis import events
from libs.common.schemas import Job, Principal
from services.api.http.errors import AppError, NotFound
from services.api.registration import get


class AnalyzeRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What to analyse: a commit (default: the last synced one) and its branch."""

    commit: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$(?!\n)")] | None = (
        None
    )
    branch: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    platform: Literal["github", "gitlab"] = "github"
    # Open a pull request with the generated workflow (GitHub repositories, valid CI only).
    open_pull_request: bool = False


class NotSynced(AppError):
    status = 409
    slug = "repository-not-synced"
    title = "The repository has no known commit yet"


async def request_analysis(
    pool: asyncpg.Pool,
    redis: Redis,
    who: Principal,
    repository_id: uuid.UUID,
    body: AnalyzeRequest,
) -> tuple[Job, bool]:
    repo = await get(pool, who, repository_id)
    commit = body.commit or repo.last_commit
    if commit is None:
        raise NotSynced(f"Sync it first (POST /v1/repos/{repo.id}/sync) or name a commit.")
    # A spent AI quota does not refuse the analysis: the worker's AI step sees it and the
    # analysis runs without AI, saying so (`ai_status: quota_exceeded`).
    return await jobs.submit(
        pool,
        redis,
        who.organization_id,
        kind="analysis",
        key=jobs.dedup_key("analysis", repo.id, commit),
        trigger="api",
        repository_id=repo.id,
        commit_sha=commit,
        requested_by=who.user_id,
        params={
            "branch": body.branch or repo.default_branch,
            "platform": body.platform,
            "open_pull_request": body.open_pull_request,
        },
    )


async def request_sync(
    pool: asyncpg.Pool, redis: Redis, who: Principal, repository_id: uuid.UUID
) -> tuple[Job, bool]:
    repo = await get(pool, who, repository_id)
    return await jobs.submit(
        pool,
        redis,
        who.organization_id,
        kind="sync",
        key=jobs.dedup_key("sync", repo.id),
        trigger="api",
        repository_id=repo.id,
        requested_by=who.user_id,
    )


async def cancel(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, who: Principal, job_id: uuid.UUID
) -> Job:
    """Cancel a job (queued: at once; running: at its next stage); the job as it is now."""
    async with pool.acquire() as conn:
        job, stopped_now = await jobs_db.cancel(conn, who.organization_id, job_id)
    if job is None:
        raise NotFound("No such job.")
    if stopped_now:  # its stream ends here: no worker will write to it
        closing = events.JobEvent(
            type="cancelled", job_id=str(job.id), kind=job.kind, message=job.error
        )
        await events.publish(redis, settings, str(job.organization_id), closing)
    return job
