"""GitHub App installations, as their webhook events describe them."""

from __future__ import annotations

import uuid
from typing import Literal

from libs.common.db import Conn

InstallationStatus = Literal["active", "suspended", "deleted"]


async def upsert_installation(
    conn: Conn,
    installation_id: int,
    *,
    account_login: str,
    account_type: str | None,
    status: InstallationStatus,
    added: list[str] | None = None,
    removed: list[str] | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO github_installations (installation_id, account_login, account_type, status,
                                          repositories)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (installation_id) DO UPDATE
           SET account_login = EXCLUDED.account_login,
               account_type = coalesce(EXCLUDED.account_type, github_installations.account_type),
               status = EXCLUDED.status,
               repositories = ARRAY(
                   SELECT DISTINCT r FROM unnest(github_installations.repositories || $5) AS r
                    WHERE r <> ALL ($6::text[]) ORDER BY r),
               updated_at = now()
        """,
        installation_id,
        account_login,
        account_type,
        status,
        sorted(added or []),
        removed or [],
    )


async def link_organization(
    conn: Conn, installation_id: int, *, account_login: str, sender_github_id: int | None
) -> uuid.UUID | None:
    """The organization an installation registers repositories in, decided once.

    The organization whose slug is the GitHub account's login, if the person who
    installed the app (by GitHub id) is its owner or admin; else that person's personal
    organization. A slug alone never decides: anyone can install an app on their own
    account, and its repositories must not land in a stranger's organization.
    """
    linked: uuid.UUID | None = await conn.fetchval(
        "SELECT organization_id FROM github_installations WHERE installation_id = $1",
        installation_id,
    )
    if linked is not None or sender_github_id is None:
        return linked
    found: uuid.UUID | None = await conn.fetchval(
        """
        SELECT o.id FROM organizations o
          JOIN memberships m ON m.organization_id = o.id
          JOIN users u ON u.id = m.user_id
         WHERE u.github_id = $2
           AND ((o.slug = lower($1) AND m.role IN ('owner', 'admin'))
                OR o.personal_owner_id = u.id)
         ORDER BY (o.slug = lower($1)) DESC
         LIMIT 1
        """,
        account_login,
        sender_github_id,
    )
    if found is not None:
        await conn.execute(
            "UPDATE github_installations SET organization_id = $2, updated_at = now()"
            " WHERE installation_id = $1",
            installation_id,
            found,
        )
    return found


async def register_repository(
    conn: Conn, organization_id: uuid.UUID, installation_id: int, *, github_id: int, full_name: str
) -> uuid.UUID:
    """Register (or adopt) a repository the installation was given; its id."""
    repository_id: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO repositories (organization_id, provider, full_name, clone_url, github_id,
                                  installation_id)
        VALUES ($1, 'github', $2, $3, $4, $5)
        ON CONFLICT (organization_id, clone_url) DO UPDATE
           SET installation_id = EXCLUDED.installation_id, github_id = EXCLUDED.github_id,
               upstream_deleted_at = NULL, updated_at = now()
        RETURNING id
        """,
        organization_id,
        full_name,
        f"https://github.com/{full_name}.git",
        github_id,
        installation_id,
    )
    return repository_id


async def unregister_repositories(
    conn: Conn, organization_id: uuid.UUID, installation_id: int, full_names: list[str] | None
) -> int:
    """Take repositories (all of them for None) out of an installation; how many.

    Those the installation registered are removed; those a person registered stay,
    read again with that person's token.
    """
    scope = """organization_id = $1 AND installation_id = $2
               AND ($3::text[] IS NULL OR lower(full_name) = ANY ($3::text[]))"""
    names = [n.lower() for n in full_names] if full_names is not None else None
    deleted = await conn.fetch(
        f"DELETE FROM repositories WHERE {scope} AND created_by IS NULL RETURNING id",
        organization_id,
        installation_id,
        names,
    )
    detached = await conn.fetch(
        f"UPDATE repositories SET installation_id = NULL, updated_at = now() WHERE {scope}"
        " RETURNING id",
        organization_id,
        installation_id,
        names,
    )
    return len(deleted) + len(detached)


async def covering(conn: Conn, organization_id: uuid.UUID, full_name: str) -> int | None:
    """The organization's active installation that was given `full_name`, if any (for a
    repository a person registered before or beside the app)."""
    found: int | None = await conn.fetchval(
        """
        SELECT installation_id FROM github_installations
         WHERE organization_id = $1 AND status = 'active'
           AND EXISTS (SELECT 1 FROM unnest(repositories) AS r WHERE lower(r) = lower($2))
         ORDER BY updated_at DESC LIMIT 1
        """,
        organization_id,
        full_name,
    )
    return found
