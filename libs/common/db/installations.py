"""GitHub App installations, as their webhook events describe them."""

from __future__ import annotations

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
