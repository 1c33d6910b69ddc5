"""Score history: each analysis's score, band and categories, per repository, over time.

Every query takes the organization id. Pages run newest first and continue from a
cursor (the last row's id), optionally bounded by a date range or one commit.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from libs.common.db import Conn, row_or_none, to_structs


class HistoryEntry(msgspec.Struct, kw_only=True):
    id: int
    commit_sha: str
    branch: str | None
    pull_request: int | None
    score: int
    band: str
    categories: dict[str, int | None]
    critical: list[str]
    regressed: bool
    analysis_id: uuid.UUID | None
    created_at: dt.datetime


class RegressionRule(msgspec.Struct, kw_only=True):
    max_drop: int | None  # None: REGRESSION_MAX_DROP
    on_critical: bool


_COLUMNS = """id, commit_sha, branch, pull_request, score, band, categories, critical, regressed,
              analysis_id, created_at"""


async def record(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    analysis_id: uuid.UUID | None,
    commit_sha: str,
    branch: str | None,
    pull_request: int | None,
    score: int,
    band: str,
    categories: dict[str, int | None],
    critical: list[str],
) -> HistoryEntry:
    """The analysis's entry (written once: a rerun of the job returns the first)."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO score_history (organization_id, repository_id, analysis_id, commit_sha,
                                   branch, pull_request, score, band, categories, critical)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (analysis_id) DO UPDATE SET analysis_id = EXCLUDED.analysis_id
        RETURNING {_COLUMNS}
        """,
        organization_id,
        repository_id,
        analysis_id,
        commit_sha,
        branch,
        pull_request,
        score,
        band,
        categories,
        sorted(critical),
    )
    entry = row_or_none(row, HistoryEntry)
    assert entry is not None
    return entry


async def baseline(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, *, branch: str, before: int
) -> HistoryEntry | None:
    """The newest entry of `branch` (not a pull request) before entry `before`."""
    row = await conn.fetchrow(
        f"""
        SELECT {_COLUMNS} FROM score_history
         WHERE organization_id = $1 AND repository_id = $2 AND branch = $3
           AND pull_request IS NULL AND id < $4
         ORDER BY id DESC LIMIT 1
        """,
        organization_id,
        repository_id,
        branch,
        before,
    )
    return row_or_none(row, HistoryEntry)


async def mark_regressed(conn: Conn, organization_id: uuid.UUID, entry_id: int) -> None:
    await conn.execute(
        "UPDATE score_history SET regressed = true WHERE organization_id = $1 AND id = $2",
        organization_id,
        entry_id,
    )


async def rule_for(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID
) -> RegressionRule:
    row = await conn.fetchrow(
        "SELECT regression_max_drop, regression_on_critical FROM repositories"
        " WHERE organization_id = $1 AND id = $2",
        organization_id,
        repository_id,
    )
    if row is None:
        return RegressionRule(max_drop=None, on_critical=True)
    return RegressionRule(max_drop=row[0], on_critical=row[1])


async def page(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    limit: int,
    cursor: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    commit: str | None = None,
) -> list[HistoryEntry]:
    """Up to `limit` entries, newest first, older than `cursor` when given."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM score_history
         WHERE organization_id = $1 AND repository_id = $2
           AND ($3::bigint IS NULL OR id < $3)
           AND ($4::timestamptz IS NULL OR created_at >= $4)
           AND ($5::timestamptz IS NULL OR created_at < $5)
           AND ($6::text IS NULL OR commit_sha LIKE $6 || '%')
         ORDER BY id DESC
         LIMIT $7
        """,
        organization_id,
        repository_id,
        cursor,
        since,
        until,
        commit,
        limit,
    )
    return to_structs(rows, HistoryEntry)


class RepoSettings(msgspec.Struct, kw_only=True):
    badge_public: bool
    regression_max_drop: int | None
    regression_on_critical: bool


async def update_settings(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    badge_public: bool | None,
    regression_max_drop: int | None,
    clear_max_drop: bool,
    regression_on_critical: bool | None,
) -> RepoSettings | None:
    """Change what is given (None keeps a value; `clear_max_drop` resets to the default)."""
    row = await conn.fetchrow(
        """
        UPDATE repositories
           SET badge_public = coalesce($3, badge_public),
               regression_max_drop = CASE WHEN $5 THEN NULL
                                          ELSE coalesce($4, regression_max_drop) END,
               regression_on_critical = coalesce($6, regression_on_critical),
               updated_at = now()
         WHERE organization_id = $1 AND id = $2
        RETURNING badge_public, regression_max_drop, regression_on_critical
        """,
        organization_id,
        repository_id,
        badge_public,
        regression_max_drop,
        clear_max_drop,
        regression_on_critical,
    )
    return row_or_none(row, RepoSettings)


class BadgeScore(msgspec.Struct, kw_only=True):
    score: int
    band: str


async def public_badge(conn: Conn, full_name: str) -> BadgeScore | None:
    """The newest default-branch score of a public GitHub repository whose owners made its
    badge public; None for anything else (unknown, private, not opted in: all alike).

    The one read across organizations: it returns a score and a band, nothing else.
    """
    row = await conn.fetchrow(
        """
        SELECT h.score, h.band
          FROM repositories r
          JOIN score_history h
            ON h.organization_id = r.organization_id AND h.repository_id = r.id
         WHERE r.provider = 'github' AND lower(r.full_name) = lower($1)
           AND r.badge_public AND r.visibility = 'public' AND r.upstream_deleted_at IS NULL
           AND h.pull_request IS NULL
           AND (r.default_branch IS NULL OR h.branch = r.default_branch)
         ORDER BY h.created_at DESC, h.id DESC
         LIMIT 1
        """,
        full_name,
    )
    return row_or_none(row, BadgeScore)
