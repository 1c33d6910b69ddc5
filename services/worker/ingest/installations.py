"""GitHub App installations: the bookkeeping row, and the repositories they register.

`installation` created (or unsuspended) registers the repositories it was given in the
organization it belongs to (`installations_db.link_organization`) and syncs each;
`installation_repositories` adds and removes; `deleted` takes every repository out.
One transaction per delivery; the sync jobs are submitted after it commits.
"""

from __future__ import annotations

import uuid

import structlog

from libs.common import jobs
from libs.common.db import installations as installations_db
from libs.common.db.installations import InstallationStatus
from services.worker.deps import Deps
from services.worker.ingest.payloads import InstallationEvent

log = structlog.get_logger(__name__)

_STATUS: dict[str, InstallationStatus] = {
    "created": "active",
    "new_permissions_accepted": "active",
    "unsuspend": "active",
    "suspend": "suspended",
    "deleted": "deleted",
}


async def apply(deps: Deps, event: InstallationEvent) -> list[uuid.UUID]:
    """Record the event; the ids of the sync jobs for repositories it registered."""
    account = event.installation.account or event.account
    assert account is not None  # the handler refused such payloads
    status = _STATUS.get(event.action, "active")
    added = (event.repositories or []) + event.repositories_added
    removed = [r.full_name for r in event.repositories_removed]
    registered: list[tuple[uuid.UUID, uuid.UUID]] = []
    async with deps.pool.acquire() as conn, conn.transaction():
        await installations_db.upsert_installation(
            conn,
            event.installation.id,
            account_login=account.login,
            account_type=account.type,
            status=status,
            added=[r.full_name for r in added],
            removed=removed,
        )
        org = await installations_db.link_organization(
            conn,
            event.installation.id,
            account_login=account.login,
            sender_github_id=event.sender.id if event.sender else None,
        )
        if org is None:
            log.info("installation without organization", installation=event.installation.id)
            return []
        if status == "deleted":
            await installations_db.unregister_repositories(conn, org, event.installation.id, None)
            return []
        if removed:
            await installations_db.unregister_repositories(
                conn, org, event.installation.id, removed
            )
        for repo in added:
            if repo.id is None:
                continue
            repository_id = await installations_db.register_repository(
                conn, org, event.installation.id, github_id=repo.id, full_name=repo.full_name
            )
            registered.append((org, repository_id))
    submitted: list[uuid.UUID] = []
    for org_id, repository_id in registered:
        job, _ = await jobs.submit(
            deps.pool,
            deps.redis,
            org_id,
            kind="sync",
            key=jobs.dedup_key("sync", repository_id),
            trigger="webhook",
            repository_id=repository_id,
        )
        submitted.append(job.id)
    return submitted
