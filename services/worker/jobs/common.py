"""What the pipeline's jobs share: their repository, whose GitHub token they use, and how
one job enqueues the next (sync → analysis → ci_generation)."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common import jobs
from libs.common.db import installations as installations_db
from libs.common.db import repos as repos_db
from libs.common.schemas import Job, JobKind, Repository
from libs.github.client import GitHubClient
from libs.github.errors import GitHubError
from services.worker.errors import PermanentJobError
from services.worker.fetch import github_error
from services.worker.runner import JobContext


async def load_repository(jc: JobContext) -> Repository:
    job = jc.job
    if job.repository_id is None:
        raise PermanentJobError("the job names no repository", "bad_job")
    async with jc.deps.pool.acquire() as conn:
        repo = await repos_db.get_repository(conn, job.organization_id, job.repository_id)
    if repo is None:
        raise PermanentJobError("the repository was removed", "repository_not_found")
    return repo


def acting_user(job: Job, repo: Repository) -> uuid.UUID | None:
    """Whose GitHub token and AI quota a job uses: who asked for it, else who registered
    the repository (a webhook push has no requester)."""
    return job.requested_by or repo.created_by


async def installation_of(jc: JobContext, repo: Repository) -> int | None:
    """The GitHub App installation that reads `repo`: the one that registered it, else an
    active one of its organization that was given it; None without an app."""
    if jc.deps.github_app is None or repo.provider != "github":
        return None
    if repo.installation_id is not None:
        return repo.installation_id
    async with jc.deps.pool.acquire() as conn:
        return await installations_db.covering(conn, repo.organization_id, repo.full_name)


async def github_token(jc: JobContext, repo: Repository) -> str | None:
    """The GitHub token a job reads a repository with: its GitHub App installation's when
    it has one, else the acting user's; None for other providers."""
    if repo.provider != "github":
        return None
    app, installation = jc.deps.github_app, await installation_of(jc, repo)
    if app is not None and installation is not None:
        try:
            return await app.installation_token(installation)
        except GitHubError as exc:
            raise github_error(exc) from exc
    return await jc.deps.github_token(acting_user(jc.job, repo))


async def github_client(jc: JobContext, repo: Repository) -> GitHubClient:
    """GitHub's API for a job: the installation's client (its tokens renew themselves
    mid-job, its rate limits are its own), else the acting user's token."""
    app, installation = jc.deps.github_app, await installation_of(jc, repo)
    if app is not None and installation is not None:
        return app.client(installation)
    return jc.deps.github(await github_token(jc, repo))


def ci_platform(job: Job) -> str:
    """The CI platform the pipeline generates for: GitHub Actions unless the request said."""
    value = job.params.get("platform")
    return value if isinstance(value, str) and value else "github"


async def submit_next(
    jc: JobContext, kind: JobKind, *, key: str, commit_sha: str, params: dict[str, Any]
) -> Job:
    """Enqueue the pipeline's next job for the same repository, trigger and requester,
    carrying the pipeline's options (CI platform, whether to open a pull request)."""
    job = jc.job
    options = {
        "platform": ci_platform(job),
        "open_pull_request": bool(job.params.get("open_pull_request", False)),
    }
    next_job, _ = await jobs.submit(
        jc.deps.pool,
        jc.deps.redis,
        job.organization_id,
        kind=kind,
        key=key,
        trigger=job.trigger,
        repository_id=job.repository_id,
        commit_sha=commit_sha,
        requested_by=job.requested_by,
        params=params | options,
    )
    return next_job
