"""Uploaded rehearsals of generated CI (libs/common/rehearsal.py), per CI configuration."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from libs.common.db import Conn, row_or_none, to_struct
from libs.common.rehearsal import Rehearsal


class RehearsalRow(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organization_id: uuid.UUID
    repository_id: uuid.UUID
    ci_config_id: uuid.UUID
    workflow_sha256: str
    commit_sha: str | None
    outcome: str
    uploaded_by: uuid.UUID | None
    created_at: dt.datetime


_REHEARSAL = """id, organization_id, repository_id, ci_config_id, workflow_sha256, commit_sha,
                outcome, uploaded_by, created_at"""


async def store(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    repository_id: uuid.UUID,
    ci_config_id: uuid.UUID,
    workflow_sha256: str,
    commit_sha: str | None,
    report: Rehearsal,
    uploaded_by: uuid.UUID | None,
) -> RehearsalRow:
    row = await conn.fetchrow(
        f"""
        INSERT INTO ci_rehearsals (organization_id, repository_id, ci_config_id,
                                   workflow_sha256, commit_sha, outcome, report, uploaded_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8)
        RETURNING {_REHEARSAL}
        """,
        organization_id,
        repository_id,
        ci_config_id,
        workflow_sha256,
        commit_sha,
        report.outcome,
        msgspec.json.encode(report).decode(),
        uploaded_by,
    )
    stored = row_or_none(row, RehearsalRow)
    assert stored is not None
    return stored


async def latest(
    conn: Conn, organization_id: uuid.UUID, ci_config_id: uuid.UUID, workflow_sha256: str
) -> tuple[RehearsalRow, Rehearsal] | None:
    """The newest rehearsal of exactly this workflow text, with its report."""
    row = await conn.fetchrow(
        f"""
        SELECT {_REHEARSAL}, report::text AS report FROM ci_rehearsals
         WHERE organization_id = $1 AND ci_config_id = $2 AND workflow_sha256 = $3
         ORDER BY created_at DESC, id DESC LIMIT 1
        """,
        organization_id,
        ci_config_id,
        workflow_sha256,
    )
    if row is None:
        return None
    report = msgspec.json.decode(row["report"], type=Rehearsal)
    return to_struct(row, RehearsalRow), report
