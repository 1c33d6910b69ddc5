"""The sync job: resolve a repository's default branch and HEAD commit, store them, and
enqueue an analysis of that commit."""

from __future__ import annotations

from typing import Any

from libs.common import jobs
from libs.common.db import repos as repos_db
from libs.common.schemas import Repository
from libs.github.errors import GitHubError
from services.worker import gitops
from services.worker.errors import PermanentJobError
from services.worker.fetch import github_error
from services.worker.jobs.common import github_token, load_repository, submit_next
from services.worker.runner import JobContext


async def sync(jc: JobContext) -> dict[str, Any]:
    job, deps = jc.job, jc.deps
    repo = await load_repository(jc)
    if repo.provider == "local" and not deps.settings.allow_local_repos:
        raise PermanentJobError("local repositories are disabled on this worker", "forbidden")

    await jc.progress("resolving", f"resolving HEAD of {repo.full_name}")
    branch, commit, visibility, topics = await _resolve(jc, repo)
    async with deps.pool.acquire() as conn:
        await repos_db.record_sync(
            conn,
            job.organization_id,
            repo.id,
            default_branch=branch,
            last_commit=commit,
            visibility=visibility,
            topics=topics,
        )
    await jc.progress("stored", f"HEAD is {commit[:12]}", commit=commit)
    result: dict[str, Any] = {"default_branch": branch, "commit": commit}
    if job.params.get("analyze", True):
        analysis_job = await submit_next(
            jc,
            "analysis",
            key=jobs.dedup_key("analysis", repo.id, commit),
            commit_sha=commit,
            params={"branch": branch},
        )
        result["analysis_job_id"] = str(analysis_job.id)
    return result


async def _resolve(
    jc: JobContext, repo: Repository
) -> tuple[str | None, str, str | None, list[str] | None]:
    """(default branch, HEAD commit, visibility, topics) from GitHub's API or git itself."""
    deps = jc.deps
    if repo.provider == "github":
        token = await github_token(jc, repo)
        client = deps.github(token)
        try:
            snap = await client.snapshot(repo.full_name)
        except GitHubError as exc:
            raise github_error(exc) from exc
        return (
            snap.repo.default_branch,
            snap.head_sha,
            snap.repo.effective_visibility,
            list(snap.repo.topics),
        )
    await gitops.check_public_host(deps.settings, repo)
    head = await gitops.ls_remote_head(
        repo.clone_url,
        local=repo.provider == "local",
        timeout_s=max(deps.settings.sync_timeout_seconds - 5, 5),
    )
    return head.branch, head.commit, None, None
