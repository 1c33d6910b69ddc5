"""Analyses (one per analysis job) and the CI configurations generated from them.

A report is stored once, as the JSON the worker encoded, and read back as JSON text
(`report::text`): the api serves it as it is, and only code that reads a report decodes
it, with the type it needs. Nothing here knows the report's shape.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from libs.common.db import Conn, row_or_none, to_struct, to_structs
from libs.common.db.paging import DEFAULT_LIMIT, Keyset, Page, Position, page_of, position_args


class AnalysisRow(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organization_id: uuid.UUID
    repository_id: uuid.UUID
    job_id: uuid.UUID | None
    commit_sha: str
    branch: str | None
    content_digest: str
    report_version: int
    health_score: int | None
    ai_status: str
    ai_model: str | None
    ai_total_tokens: int
    created_at: dt.datetime


class CiConfigRow(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organization_id: uuid.UUID
    analysis_id: uuid.UUID
    job_id: uuid.UUID | None
    platform: str
    path: str
    content: str
    valid: bool
    validation: dict[str, Any]
    score_before: int | None
    score_after: int | None
    pull_request_url: str | None
    created_at: dt.datetime


_ANALYSIS = """id, organization_id, repository_id, job_id, commit_sha, branch, content_digest,
               report_version, health_score, ai_status, ai_model, ai_total_tokens, created_at"""
_CI = """id, organization_id, analysis_id, job_id, platform, path, content, valid, validation,
         score_before, score_after, pull_request_url, created_at"""


async def store_analysis(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    repository_id: uuid.UUID,
    job_id: uuid.UUID,
    commit_sha: str,
    branch: str | None,
    content_digest: str,
    report_version: int,
    report: bytes,
    health_score: int | None,
    ai_status: str,
    ai_model: str | None,
    ai_tokens: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> AnalysisRow:
    """Insert the job's analysis; a rerun of the same job returns the row it already wrote."""
    prompt, output, thinking, total = ai_tokens
    row = await conn.fetchrow(
        f"""
        INSERT INTO analyses (organization_id, repository_id, job_id, commit_sha, branch,
                              content_digest, report_version, report, health_score, ai_status,
                              ai_model, ai_prompt_tokens, ai_output_tokens, ai_thinking_tokens,
                              ai_total_tokens)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, $11, $12, $13, $14, $15)
        ON CONFLICT (job_id) DO UPDATE SET job_id = EXCLUDED.job_id
        RETURNING {_ANALYSIS}
        """,
        organization_id,
        repository_id,
        job_id,
        commit_sha,
        branch,
        content_digest,
        report_version,
        report.decode(),
        health_score,
        ai_status,
        ai_model,
        prompt,
        output,
        thinking,
        total,
    )
    result = row_or_none(row, AnalysisRow)
    assert result is not None
    return result


class ReusableAi(msgspec.Struct, frozen=True, kw_only=True):
    """What the analysis cache reuses of an earlier report, as stored JSON."""

    ai: bytes
    recommendations: bytes


async def find_by_digest(
    conn: Conn, organization_id: uuid.UUID, content_digest: str
) -> ReusableAi | None:
    """The AI part of the newest analysis of identical content (same digest) in this
    organization: only the two report members the cache reuses are read."""
    row = await conn.fetchrow(
        """
        SELECT (report->'ai')::text AS ai,
               coalesce(report->'recommendations', '[]'::jsonb)::text AS recommendations
          FROM analyses
         WHERE organization_id = $1 AND content_digest = $2
         ORDER BY created_at DESC LIMIT 1
        """,
        organization_id,
        content_digest,
    )
    if row is None or row["ai"] is None:
        return None
    return ReusableAi(ai=row["ai"].encode(), recommendations=row["recommendations"].encode())


async def get_analysis(
    conn: Conn, organization_id: uuid.UUID, analysis_id: uuid.UUID
) -> tuple[AnalysisRow, bytes] | None:
    """The analysis and its report as the stored JSON."""
    row = await conn.fetchrow(
        f"""
        SELECT {_ANALYSIS}, report::text AS report FROM analyses
         WHERE organization_id = $1 AND id = $2
        """,
        organization_id,
        analysis_id,
    )
    return None if row is None else (to_struct(row, AnalysisRow), row["report"].encode())


async def exists(conn: Conn, organization_id: uuid.UUID, analysis_id: uuid.UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM analyses WHERE organization_id = $1 AND id = $2)",
        organization_id,
        analysis_id,
    )
    return found


_NEWEST_FIRST = Keyset("created_at, id")
_OLDEST_FIRST = Keyset("created_at, id", descending=False)


async def list_analyses(
    conn: Conn,
    organization_id: uuid.UUID,
    repository_id: uuid.UUID,
    *,
    after: Position | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[AnalysisRow]:
    rows = await conn.fetch(
        f"""
        SELECT {_ANALYSIS} FROM analyses
         WHERE organization_id = $1 AND repository_id = $2 AND {_NEWEST_FIRST.after(3)}
         ORDER BY {_NEWEST_FIRST.order_by} LIMIT $5
        """,
        organization_id,
        repository_id,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, AnalysisRow), limit, lambda a: Position(a.created_at, a.id))


async def store_ci_config(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    analysis_id: uuid.UUID,
    job_id: uuid.UUID,
    platform: str,
    path: str,
    content: str,
    valid: bool,
    validation: dict[str, Any],
    score_before: int | None,
    score_after: int | None,
) -> CiConfigRow:
    """One configuration per (analysis, platform): a rerun replaces it in place."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO ci_configs (organization_id, analysis_id, job_id, platform, path, content,
                                valid, validation, score_before, score_after)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (analysis_id, platform) DO UPDATE
           SET job_id = EXCLUDED.job_id, path = EXCLUDED.path, content = EXCLUDED.content,
               valid = EXCLUDED.valid, validation = EXCLUDED.validation,
               score_before = EXCLUDED.score_before, score_after = EXCLUDED.score_after
        RETURNING {_CI}
        """,
        organization_id,
        analysis_id,
        job_id,
        platform,
        path,
        content,
        valid,
        validation,
        score_before,
        score_after,
    )
    result = row_or_none(row, CiConfigRow)
    assert result is not None
    return result


async def record_pull_request(
    conn: Conn, organization_id: uuid.UUID, ci_config_id: uuid.UUID, url: str
) -> None:
    await conn.execute(
        "UPDATE ci_configs SET pull_request_url = $3 WHERE organization_id = $1 AND id = $2",
        organization_id,
        ci_config_id,
        url,
    )


async def ci_configs_for(
    conn: Conn,
    organization_id: uuid.UUID,
    analysis_id: uuid.UUID,
    *,
    after: Position | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[CiConfigRow]:
    rows = await conn.fetch(
        f"""
        SELECT {_CI} FROM ci_configs
         WHERE organization_id = $1 AND analysis_id = $2 AND {_OLDEST_FIRST.after(3)}
         ORDER BY {_OLDEST_FIRST.order_by} LIMIT $5
        """,
        organization_id,
        analysis_id,
        *position_args(after),
        limit + 1,
    )
    return page_of(to_structs(rows, CiConfigRow), limit, lambda c: Position(c.created_at, c.id))


async def ci_config_of_repository(
    conn: Conn, organization_id: uuid.UUID, repository_id: uuid.UUID, ci_config_id: uuid.UUID
) -> CiConfigRow | None:
    """The CI configuration, when it was generated for this repository of this tenant."""
    row = await conn.fetchrow(
        f"""
        SELECT {_CI} FROM ci_configs
         WHERE organization_id = $1 AND id = $2
           AND analysis_id IN (SELECT id FROM analyses
                                WHERE organization_id = $1 AND repository_id = $3)
        """,
        organization_id,
        ci_config_id,
        repository_id,
    )
    return row_or_none(row, CiConfigRow)
