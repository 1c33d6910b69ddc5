"""Jobs: read one, list, and follow its progress over SSE."""

from __future__ import annotations

import uuid

import msgspec
from aiohttp import web

from libs.common.db import jobs as jobs_db
from libs.common.redis import events
from libs.common.redis import keys as redis_keys
from libs.common.schemas import Job, JobKind, JobStatus
from services.api import job_requests
from services.api.http import keys, sse
from services.api.http.body import json_response, path_uuid
from services.api.http.errors import BadRequest, NotFound
from services.api.http.paging import PageQuery, page_query, page_response
from services.api.http.spec import EVENT_STREAM, operation
from services.api.http.stream_cap import TooManyStreams
from services.api.views import JobView, ListOf

routes = web.RouteTableDef()


async def _load(request: web.Request) -> Job:
    who = keys.principal(request)
    async with request.app[keys.POOL].acquire() as conn:
        job = await jobs_db.get_job(conn, who.organization_id, path_uuid(request))
    if job is None:
        raise NotFound("No such job.")
    return job


class JobsQuery(PageQuery, kw_only=True):
    status: JobStatus | None = None
    kind: JobKind | None = None
    repository_id: uuid.UUID | None = None


@routes.get("/v1/jobs")
@operation(
    "List the organization's jobs, newest first",
    tags=("jobs",),
    description="Filter by `status`, `kind` and `repository_id` (all optional, combined).",
    query=JobsQuery,
    responses={200: ListOf[JobView]},
)
async def list_jobs(request: web.Request) -> web.Response:
    who = keys.principal(request)
    query, after = page_query(request, JobsQuery)
    async with request.app[keys.POOL].acquire() as conn:
        page = await jobs_db.list_jobs(
            conn,
            who.organization_id,
            repository_id=query.repository_id,
            status=query.status,
            kind=query.kind,
            after=after,
            limit=query.limit,
        )
    return page_response(request, page, JobView.of)


@routes.post("/v1/jobs/{id}/cancel")
@operation(
    "Cancel a job",
    tags=("jobs",),
    description=(
        "A queued job is `cancelled` at once and never runs. A running job stops at its "
        "next stage (the worker checks between stages) and then becomes `cancelled`; "
        "until then it answers `running`. A finished job is returned as it is."
    ),
    responses={200: JobView},
    errors=(NotFound,),
)
async def cancel_job(request: web.Request) -> web.Response:
    app = request.app
    job = await job_requests.cancel(
        app[keys.POOL],
        app[keys.REDIS],
        app[keys.SETTINGS],
        keys.principal(request),
        path_uuid(request),
    )
    return json_response(JobView.of(job))


@routes.get("/v1/jobs/{id}")
@operation("Read a job", tags=("jobs",), responses={200: JobView}, errors=(NotFound,))
async def get_job(request: web.Request) -> web.Response:
    return json_response(JobView.of(await _load(request)))


@routes.get("/v1/jobs/{id}/events")
@operation(
    "Follow a job's progress (server-sent events)",
    tags=("jobs", "events"),
    description=sse.DESCRIPTION,
    query=sse.ResumeQuery,
    headers=sse.RESUME_HEADERS,
    responses={200: EVENT_STREAM, 204: None},
    errors=(NotFound, BadRequest, TooManyStreams),
    # Opening a stream is authenticated and costs one subscription, not a request's work;
    # a browser's reconnects must not use up the budget of its other requests.
    rate_limit="none",
)
async def job_events(request: web.Request) -> web.StreamResponse:
    job = await _load(request)

    async def finished() -> bytes | None:
        # The stream expired (retention) or never existed: close with the row's state.
        async with request.app[keys.POOL].acquire() as conn:
            row = await jobs_db.get_job(conn, job.organization_id, job.id)
        if row is None or not row.finished:
            return None
        closing = events.JobEvent(
            type=row.status,  # type: ignore[arg-type]
            job_id=str(row.id),
            kind=row.kind,
            message=row.error,
            data={"result": row.result} if row.result else {},
        )
        return msgspec.json.encode(closing)

    return await sse.stream(
        request, redis_keys.job_events(str(job.id)), kind="job", finished=finished
    )
