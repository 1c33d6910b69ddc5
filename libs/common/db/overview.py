"""An organization's repositories at a glance: each with its latest analysis, its recent
scores and its open findings by severity. The dashboard's overview reads this; every query
is scoped to one organization.

Two steps keep a page cheap for hundreds of repositories and tens of thousands of
analyses: the sorted, filtered page of repositories reads only the latest analysis' score
and time (one index probe per repository, no report), then the reports of that page's
latest analyses alone are opened for their findings.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

from libs.common.db import Conn

Sort = Literal["name", "-name", "score", "-score", "analysed", "-analysed"]
# Band floors, as libs.analysis.scoring.BANDS (a band filter is a score range).
BAND_RANGES: dict[str, tuple[int, int]] = {
    "excellent": (90, 100),
    "good": (75, 89),
    "fair": (50, 74),
    "poor": (30, 49),
    "critical": (0, 29),
}
SPARK_POINTS = 12

_ORDER: dict[str, str] = {
    "name": "lower(r.full_name) ASC, r.id ASC",
    "-name": "lower(r.full_name) DESC, r.id DESC",
    "score": "a.health_score ASC NULLS LAST, lower(r.full_name), r.id",
    "-score": "a.health_score DESC NULLS LAST, lower(r.full_name), r.id",
    "analysed": "a.created_at ASC NULLS LAST, lower(r.full_name), r.id",
    "-analysed": "a.created_at DESC NULLS LAST, lower(r.full_name), r.id",
}


class RepoSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    full_name: str
    provider: str
    analysis_id: uuid.UUID | None
    health_score: int | None
    analysed_at: dt.datetime | None
    band: str | None = None
    has_ci: bool | None = None
    findings: dict[str, int] = {}
    scores: list[int] = []  # oldest first, at most SPARK_POINTS


class OverviewPage(msgspec.Struct, kw_only=True):
    items: list[RepoSummary]
    total: int


async def overview(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    sort: Sort = "name",
    name: str | None = None,
    band: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> OverviewPage:
    low, high = BAND_RANGES.get(band or "", (None, None))
    rows = await conn.fetch(
        f"""
        SELECT r.id, r.full_name, r.provider, a.id AS analysis_id, a.health_score,
               a.created_at AS analysed_at, count(*) OVER () AS total
          FROM repositories r
          LEFT JOIN LATERAL (
                SELECT id, health_score, created_at FROM analyses
                 WHERE repository_id = r.id AND organization_id = $1
                 ORDER BY created_at DESC LIMIT 1) a ON true
         WHERE r.organization_id = $1
           AND ($2::text IS NULL OR strpos(lower(r.full_name), lower($2)) > 0)
           AND ($3::int IS NULL OR a.health_score BETWEEN $3 AND $4)
         ORDER BY {_ORDER[sort]}
         LIMIT $5 OFFSET $6
        """,
        organization_id,
        name or None,
        low,
        high,
        limit,
        offset,
    )
    items = [
        RepoSummary(
            id=r["id"],
            full_name=r["full_name"],
            provider=r["provider"],
            analysis_id=r["analysis_id"],
            health_score=r["health_score"],
            analysed_at=r["analysed_at"],
        )
        for r in rows
    ]
    total = int(rows[0]["total"]) if rows else 0
    await _add_details(conn, organization_id, items)
    return OverviewPage(items=items, total=total)


async def _add_details(conn: Conn, organization_id: uuid.UUID, items: list[RepoSummary]) -> None:
    analysed = {i.analysis_id: i for i in items if i.analysis_id is not None}
    if not analysed:
        return
    details = await conn.fetch(
        """
        SELECT a.id, a.report->'score'->>'band' AS band,
               jsonb_array_length(coalesce(a.report->'ci'->'pipelines', '[]')) > 0 AS has_ci,
               (SELECT coalesce(jsonb_object_agg(sev, n), '{}') FROM (
                    SELECT f->>'severity' AS sev, count(*) AS n FROM (
                        SELECT jsonb_array_elements(coalesce(
                                   a.report->'secrets'->'findings', '[]')) AS f
                        UNION ALL
                        SELECT jsonb_array_elements(coalesce(
                                   a.report->'workflow_security'->'findings', '[]'))
                        UNION ALL
                        SELECT jsonb_array_elements(coalesce(a.report->'recommendations', '[]'))
                    ) found GROUP BY 1) counted) AS findings
          FROM analyses a
         WHERE a.organization_id = $1 AND a.id = ANY($2::uuid[])
        """,
        organization_id,
        list(analysed),
    )
    for row in details:
        item = analysed[row["id"]]
        item.band, item.has_ci = row["band"], row["has_ci"]
        item.findings = {str(k): int(v) for k, v in (row["findings"] or {}).items()}
    repo_ids = [i.id for i in analysed.values()]
    history = await conn.fetch(
        """
        SELECT repository_id, array_agg(health_score ORDER BY created_at) AS scores
          FROM (SELECT repository_id, health_score, created_at,
                       row_number() OVER (PARTITION BY repository_id
                                          ORDER BY created_at DESC) AS n
                  FROM analyses
                 WHERE organization_id = $1 AND repository_id = ANY($2::uuid[])
                   AND health_score IS NOT NULL) recent
         WHERE n <= $3
         GROUP BY repository_id
        """,
        organization_id,
        repo_ids,
        SPARK_POINTS,
    )
    by_repo = {i.id: i for i in analysed.values()}
    for row in history:
        by_repo[row["repository_id"]].scores = list(row["scores"])
