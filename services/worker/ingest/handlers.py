"""What each webhook event does: jobs for pushes and pull requests, bookkeeping for the rest.

Every handler writes on the one connection it is given, inside the delivery's
transaction, and only creates job rows: the consumer enqueues them after the commit
(a lost enqueue is re-sent by the reconciler). Every handler is safe to run twice for
one delivery (at-least-once): jobs are deduplicated by their keys, and the bookkeeping
writes set values rather than add to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import structlog

from libs.common import jobs
from libs.common.db import Conn
from libs.common.db import repos as repos_db
from libs.common.db.webhook_deliveries import DeliveryStatus
from libs.common.redis.webhook_stream import Delivery
from libs.common.schemas import Job, Repository
from services.worker.deps import Deps
from services.worker.ingest import installations, payloads

log = structlog.get_logger(__name__)

PR_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
_ZERO_SHA = "0" * 40


@dataclass
class Result:
    status: DeliveryStatus
    repositories: list[Repository] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    created: list[uuid.UUID] = field(default_factory=list)  # the jobs made by this delivery
    error: str | None = None

    @property
    def job_ids(self) -> list[uuid.UUID]:
        return [job.id for job in self.jobs]

    async def submit(
        self, conn: Conn, repo: Repository, commit: str, params: dict[str, Any]
    ) -> None:
        """An analysis of `commit`, as a row in the delivery's transaction."""
        job, created = await jobs.create_row(
            conn,
            repo.organization_id,
            kind="analysis",
            key=jobs.dedup_key("analysis", repo.id, commit),
            trigger="webhook",
            repository_id=repo.id,
            commit_sha=commit,
            params=params,
        )
        self.jobs.append(job)
        if created:
            self.created.append(job.id)


class BadPayload(Exception):
    """The payload lacks what its event promises; retrying will not help."""


def decode(entry: Delivery, type_: type[Any]) -> Any:
    try:
        return msgspec.json.decode(entry.body, type=type_)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise BadPayload(f"{entry.event} payload: {exc}") from None


async def targets(
    conn: Conn, entry: Delivery, repo: payloads.GithubRepo | None
) -> list[Repository]:
    """Our repositories a delivery concerns.

    A delivery verified with a repository's own secret concerns that repository only,
    whatever its payload says; one verified with the global secret concerns every
    organization's registration of the repository it names.
    """
    if entry.repository_id is not None and entry.organization_id is not None:
        own = await repos_db.get_repository(conn, entry.organization_id, entry.repository_id)
        return [own] if own is not None else []
    if repo is None:
        return []
    return await repos_db.repositories_for_github(conn, repo.id, repo.full_name)


async def on_push(deps: Deps, conn: Conn, entry: Delivery) -> Result:
    """A push to the default branch: what the payload says of the repository is stored
    (no sync job asks GitHub again) and one analysis of the pushed commit is submitted."""
    push: payloads.PushEvent = decode(entry, payloads.PushEvent)
    if push.deleted or push.after == _ZERO_SHA:
        return Result("ignored", error="branch deleted")
    found = await targets(conn, entry, push.repository)
    if not found:
        return Result("ignored", error="repository not registered")
    branch = push.ref.removeprefix("refs/heads/")
    gh = push.repository
    result = Result("processed", found)
    for repo in found:
        if push.ref != f"refs/heads/{gh.default_branch or repo.default_branch}":
            continue
        await repos_db.record_sync(
            conn,
            repo.organization_id,
            repo.id,
            default_branch=gh.default_branch,
            last_commit=push.after,
            visibility=gh.effective_visibility,
            topics=gh.topics,
        )
        await result.submit(conn, repo, push.after, {"branch": branch})
    if not result.jobs:
        return Result("ignored", found, error=f"push to {branch}, not the default branch")
    return result


async def on_pull_request(deps: Deps, conn: Conn, entry: Delivery) -> Result:
    event: payloads.PullRequestEvent = decode(entry, payloads.PullRequestEvent)
    if event.action not in PR_ACTIONS:
        return Result("ignored", error=f"pull_request {event.action}")
    found = await targets(conn, entry, event.repository)
    if not found:
        return Result("ignored", error="repository not registered")
    head = event.pull_request.head
    result = Result("processed", found)
    for repo in found:
        params = {"branch": head.ref, "pull_request": event.number}
        await result.submit(conn, repo, head.sha, params)
    return result


async def on_ping(deps: Deps, conn: Conn, entry: Delivery) -> Result:
    ping: payloads.PingEvent = decode(entry, payloads.PingEvent)
    found = await targets(conn, entry, ping.repository)
    hook_id = ping.hook_id or entry.hook_id
    if entry.repository_id is not None and hook_id:
        for repo in found:
            await repos_db.adopt_hook(conn, repo.organization_id, repo.id, hook_id)
    return Result("processed", found)


async def on_repository(deps: Deps, conn: Conn, entry: Delivery) -> Result:
    event: payloads.RepositoryEvent = decode(entry, payloads.RepositoryEvent)
    if event.action not in ("renamed", "transferred", "deleted", "privatized", "publicized"):
        return Result("ignored", error=f"repository {event.action}")
    gh = event.repository
    # The payload names the repository as it is now; rows registered by URL (no GitHub
    # id) still carry the old name.
    found = await targets(
        conn, entry, payloads.GithubRepo(id=gh.id, full_name=event.previous_full_name())
    )
    for repo in found:
        if event.action in ("renamed", "transferred"):
            await repos_db.rename_repository(
                conn,
                repo.organization_id,
                repo.id,
                full_name=gh.full_name,
                clone_url=gh.clone_url or f"https://github.com/{gh.full_name}.git",
                github_id=gh.id,
            )
        elif event.action == "deleted":
            await repos_db.mark_upstream_deleted(conn, repo.organization_id, repo.id)
        else:
            visibility = "private" if event.action == "privatized" else "public"
            await repos_db.set_visibility(conn, repo.organization_id, repo.id, visibility)
    return Result("processed" if found else "ignored", found)


async def on_installation(deps: Deps, conn: Conn, entry: Delivery) -> Result:
    event: payloads.InstallationEvent = decode(entry, payloads.InstallationEvent)
    if (event.installation.account or event.account) is None:
        raise BadPayload(f"{entry.event} payload names no account")
    result = Result("processed")
    for job, created in await installations.apply(conn, event):
        result.jobs.append(job)
        if created:
            result.created.append(job.id)
    return result


EventHandler = Callable[[Deps, Conn, Delivery], Awaitable[Result]]
HANDLERS: dict[str, EventHandler] = {
    "push": on_push,
    "pull_request": on_pull_request,
    "ping": on_ping,
    "repository": on_repository,
    "installation": on_installation,
    "installation_repositories": on_installation,
    "installation_target": on_installation,
}


async def handle(deps: Deps, conn: Conn, entry: Delivery) -> Result:
    """Run the event's handler on `conn` (in the delivery's transaction); a payload that
    cannot be used is a failed delivery."""
    handler = HANDLERS.get(entry.event)
    if handler is None:
        return Result("ignored", error=f"{entry.event} events are not used")
    try:
        return await handler(deps, conn, entry)
    except BadPayload as exc:
        return Result("failed", error=str(exc)[:500])
