"""What the API returns: public views of rows, without internal fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Generic, TypeVar

import msgspec

from libs.common.db.analyses import AnalysisRow, CiConfigRow
from libs.common.db.rehearsals import RehearsalRow
from libs.common.schemas import Job, JobStatus, Repository


class JobView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    status: JobStatus
    repository_id: uuid.UUID | None
    commit_sha: str | None
    attempts: int
    trigger: str
    error: str | None
    error_type: str | None
    result: dict[str, object] | None
    created_at: dt.datetime
    enqueued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    events_url: str

    @classmethod
    def of(cls, job: Job) -> JobView:
        duration = None
        if job.started_at and job.finished_at:
            duration = round((job.finished_at - job.started_at).total_seconds(), 3)
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            repository_id=job.repository_id,
            commit_sha=job.commit_sha,
            attempts=job.attempts,
            trigger=job.trigger,
            error=job.error,
            error_type=job.error_type,
            result=job.result,
            created_at=job.created_at,
            enqueued_at=job.enqueued_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            duration_seconds=duration,
            events_url=f"/v1/jobs/{job.id}/events",
        )


class RepositoryView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    provider: str
    full_name: str
    clone_url: str
    default_branch: str | None
    last_commit: str | None
    last_synced_at: dt.datetime | None
    visibility: str | None
    topics: list[str]
    webhook_id: int | None
    created_at: dt.datetime

    @classmethod
    def of(cls, repo: Repository) -> RepositoryView:
        return cls(
            id=repo.id,
            provider=repo.provider,
            full_name=repo.full_name,
            clone_url=repo.clone_url,
            default_branch=repo.default_branch,
            last_commit=repo.last_commit,
            last_synced_at=repo.last_synced_at,
            visibility=repo.visibility,
            topics=repo.topics,
            webhook_id=repo.webhook_id,
            created_at=repo.created_at,
        )


T = TypeVar("T")


class ListOf(msgspec.Struct, Generic[T], kw_only=True):
    items: list[T]
    # Where the next page starts (`?cursor=`); null on the last page.
    next_cursor: str | None = None


class Health(msgspec.Struct, kw_only=True):
    status: str


class Readiness(msgspec.Struct, kw_only=True):
    status: str
    checks: dict[str, str]


class AnalysisView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    repository_id: uuid.UUID
    job_id: uuid.UUID | None
    commit_sha: str
    branch: str | None
    health_score: int | None
    ai_status: str
    ai_model: str | None
    ai_total_tokens: int
    created_at: dt.datetime
    report_url: str
    ci_url: str

    @classmethod
    def of(cls, row: AnalysisRow) -> AnalysisView:
        return cls(
            id=row.id,
            repository_id=row.repository_id,
            job_id=row.job_id,
            commit_sha=row.commit_sha,
            branch=row.branch,
            health_score=row.health_score,
            ai_status=row.ai_status,
            ai_model=row.ai_model,
            ai_total_tokens=row.ai_total_tokens,
            created_at=row.created_at,
            report_url=f"/v1/analyses/{row.id}",
            ci_url=f"/v1/analyses/{row.id}/ci",
        )


class AnalysisWithReport(msgspec.Struct, kw_only=True):
    analysis: AnalysisView
    # The report as stored, never decoded here (its fields: docs/analysis.md).
    report: msgspec.Raw


class CiConfigView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    analysis_id: uuid.UUID
    platform: str
    path: str
    content: str
    valid: bool
    validation: dict[str, object]
    score_before: int | None
    score_after: int | None
    pull_request_url: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, row: CiConfigRow) -> CiConfigView:
        return cls(
            id=row.id,
            analysis_id=row.analysis_id,
            platform=row.platform,
            path=row.path,
            content=row.content,
            valid=row.valid,
            validation=row.validation,
            score_before=row.score_before,
            score_after=row.score_after,
            pull_request_url=row.pull_request_url,
            created_at=row.created_at,
        )


class RehearsalView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    repository_id: uuid.UUID
    ci_config_id: uuid.UUID
    workflow_sha256: str
    commit_sha: str | None
    outcome: str  # passed, failed, partial (some steps not rehearsed), not_rehearsed
    created_at: dt.datetime

    @classmethod
    def of(cls, row: RehearsalRow) -> RehearsalView:
        return cls(
            id=row.id,
            repository_id=row.repository_id,
            ci_config_id=row.ci_config_id,
            workflow_sha256=row.workflow_sha256,
            commit_sha=row.commit_sha,
            outcome=row.outcome,
            created_at=row.created_at,
        )
