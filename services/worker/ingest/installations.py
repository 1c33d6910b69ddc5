"""GitHub App installations: the bookkeeping row, and the repositories they register.

`installation` created (or unsuspended) registers the repositories it was given in the
organization it belongs to (`installations_db.link_organization`) and syncs each;
`installation_repositories` adds and removes; `deleted` takes every repository out.
Everything is written on the delivery's connection, in its transaction; the sync jobs
are rows the consumer enqueues after the commit.
"""

from __future__ import annotations

import structlog

from libs.common import jobs
from libs.common.db import Conn
from libs.common.db import installations as installations_db
from libs.common.db.installations import InstallationStatus
from libs.common.schemas import Job
from services.worker.ingest.payloads import InstallationEvent

log = structlog.get_logger(__name__)

_STATUS: dict[str, InstallationStatus] = {
    "created": "active",
    "new_permissions_accepted": "active",
    "unsuspend": "active",
    "suspend": "suspended",
    "deleted": "deleted",
}


async def apply(conn: Conn, event: InstallationEvent) -> list[tuple[Job, bool]]:
    """Record the event; the sync job rows (and whether each is new) of what it registered."""
    account = event.installation.account or event.account
    assert account is not None  # the handler refused such payloads
    status = _STATUS.get(event.action, "active")
    added = (event.repositories or []) + event.repositories_added
    removed = [r.full_name for r in event.repositories_removed]
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
    if status == "deleted" or removed:
        names = None if status == "deleted" else removed
        await installations_db.unregister_repositories(conn, org, event.installation.id, names)
    if status == "deleted":
        return []
    rows = []
    for repo in added:
        if repo.id is None:
            continue
        repository_id = await installations_db.register_repository(
            conn, org, event.installation.id, github_id=repo.id, full_name=repo.full_name
        )
        rows.append(
            await jobs.create_row(
                conn,
                org,
                kind="sync",
                key=jobs.dedup_key("sync", repository_id),
                trigger="webhook",
                repository_id=repository_id,
            )
        )
    return rows
