"""Repositories: register, list, read, sync."""

from __future__ import annotations

from aiohttp import web

from libs.common.db import repos as repos_db
from libs.common.schemas import RepoCreate, RepoCreateBody, Repository
from services.api import github_connect, job_requests, registration
from services.api.github_connect import GithubNotConnected, GithubRepoNotReadable
from services.api.http import keys
from services.api.http.body import decode, json_response, path_uuid
from services.api.http.errors import NotFound, ValidationFailed
from services.api.http.paging import PageQuery, page_query, page_response
from services.api.http.spec import operation
from services.api.registration import LocalReposDisabled
from services.api.views import JobView, ListOf, RepositoryView

routes = web.RouteTableDef()


@routes.post("/v1/repos")
@operation(
    "Register a repository",
    tags=("repositories",),
    description=(
        "Exactly one of `url` (an https git URL), `path` (a local checkout, where the "
        "operator allows it) or `github` (OWNER/NAME, with GitHub sign-in: checked with "
        "your GitHub token, and with PUBLIC_URL set and admin rights on it, its webhook is "
        "registered with a secret of its own). Registering the same repository again "
        "answers 200 with the first registration."
    ),
    body=RepoCreateBody,
    responses={201: RepositoryView, 200: RepositoryView},
    errors=(ValidationFailed, LocalReposDisabled, GithubNotConnected, GithubRepoNotReadable),
)
async def create_repository(request: web.Request) -> web.Response:
    body = await decode(request, RepoCreate)
    app, who = request.app, keys.principal(request)

    async def connect_github(full_name: str) -> tuple[Repository, bool]:
        return await github_connect.connect(
            app[keys.POOL], app[keys.HTTP], app[keys.SETTINGS], app[keys.KEYRING], who, full_name
        )

    repo, created = await registration.register(
        app[keys.POOL], app[keys.SETTINGS], who, body, connect_github
    )
    response = json_response(RepositoryView.of(repo), status=201 if created else 200)
    response.headers["Location"] = f"/v1/repos/{repo.id}"
    return response


@routes.get("/v1/repos")
@operation(
    "List the organization's repositories, newest first",
    tags=("repositories",),
    query=PageQuery,
    responses={200: ListOf[RepositoryView]},
)
async def list_repositories(request: web.Request) -> web.Response:
    who = keys.principal(request)
    query, after = page_query(request, PageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        page = await repos_db.list_repositories(
            conn, who.organization_id, after=after, limit=query.limit
        )
    return page_response(request, page, RepositoryView.of)


@routes.get("/v1/repos/{id}")
@operation(
    "Read a repository", tags=("repositories",), responses={200: RepositoryView}, errors=(NotFound,)
)
async def get_repository(request: web.Request) -> web.Response:
    repo = await registration.get(
        request.app[keys.POOL], keys.principal(request), path_uuid(request)
    )
    return json_response(RepositoryView.of(repo))


@routes.delete("/v1/repos/{id}")
@operation(
    "Remove a repository with its jobs, analyses and CI configurations",
    tags=("repositories",),
    description=(
        "Its webhook on GitHub stays until you delete it there; its deliveries then fail "
        "the signature check (the secret went with the registration) or, signed with "
        "GITHUB_WEBHOOK_SECRET, are recorded as ignored."
    ),
    responses={204: None},
    errors=(NotFound,),
)
async def delete_repository(request: web.Request) -> web.Response:
    who = keys.principal(request)
    async with request.app[keys.POOL].acquire() as conn:
        deleted = await repos_db.delete_repository(conn, who.organization_id, path_uuid(request))
    if not deleted:
        raise NotFound("No such repository.")
    return web.Response(status=204)


@routes.post("/v1/repos/{id}/sync")
@operation(
    "Sync a repository (default branch and HEAD commit)",
    tags=("repositories", "jobs"),
    description="Answers 202 with the sync job; a sync already queued is returned as is.",
    responses={202: JobView},
    errors=(NotFound,),
    rate_limit="expensive",
)
async def sync_repository(request: web.Request) -> web.Response:
    job, _ = await job_requests.request_sync(
        request.app[keys.POOL],
        request.app[keys.REDIS],
        keys.principal(request),
        path_uuid(request),
    )
    response = json_response(JobView.of(job), status=202)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return response


@routes.post("/v1/repos/{id}/analyze")
@operation(
    "Analyse a repository at a commit",
    tags=("repositories", "jobs"),
    description=(
        "Answers 202 with the analysis job (the same job while one for that commit is "
        "queued or running). The commit defaults to the last synced one. With the daily AI "
        "quota spent it still runs, without the AI step: the job's result and the report "
        "say `ai_status: quota_exceeded`."
    ),
    body=job_requests.AnalyzeRequest,
    body_required=False,
    responses={202: JobView},
    errors=(NotFound, ValidationFailed, job_requests.NotSynced),
    rate_limit="expensive",
)
async def analyze_repository(request: web.Request) -> web.Response:
    body = (
        await decode(request, job_requests.AnalyzeRequest)
        if request.can_read_body
        else job_requests.AnalyzeRequest()
    )
    job, _ = await job_requests.request_analysis(
        request.app[keys.POOL],
        request.app[keys.REDIS],
        keys.principal(request),
        path_uuid(request),
        body,
    )
    response = json_response(JobView.of(job), status=202)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return response
