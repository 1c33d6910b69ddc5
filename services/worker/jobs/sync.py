"""The sync job: resolve a repository's default branch and HEAD commit, and store them."""

from __future__ import annotations

from typing import Any

from libs.common.db import repos as repos_db
from services.worker import gitops
from services.worker.errors import PermanentJobError
from services.worker.runner import JobContext


async def sync(jc: JobContext) -> dict[str, Any]:
    job, deps = jc.job, jc.deps
    if job.repository_id is None:
        raise PermanentJobError("sync job has no repository", "bad_job")
    async with deps.pool.acquire() as conn:
        repo = await repos_db.get_repository(conn, job.organization_id, job.repository_id)
    if repo is None:
        raise PermanentJobError("the repository was removed", "repository_not_found")
    if repo.provider == "local" and not deps.settings.allow_local_repos:
        raise PermanentJobError("local repositories are disabled on this worker", "forbidden")

    await jc.progress("resolving", f"resolving HEAD of {repo.full_name}")
    head = await gitops.ls_remote_head(
        repo.clone_url,
        local=repo.provider == "local",
        timeout_s=max(deps.settings.sync_timeout_seconds - 5, 5),
    )
    async with deps.pool.acquire() as conn:
        await repos_db.record_sync(
            conn,
            job.organization_id,
            repo.id,
            default_branch=head.branch,
            last_commit=head.commit,
        )
    await jc.progress("stored", f"HEAD is {head.commit[:12]}", commit=head.commit)
    return {"default_branch": head.branch, "commit": head.commit}
