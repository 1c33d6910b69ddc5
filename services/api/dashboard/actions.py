"""The dashboard's forms: register, analyse, open a pull request, delete. Each checks
CSRF, then calls the same functions as the API's routes, then redirects (POST/redirect/
GET), so a reload never repeats an action."""

from __future__ import annotations

from typing import Literal

import msgspec
from aiohttp import web

from libs.common.db import repos as repos_db
from libs.common.schemas import RepoCreate, Repository
from services.api import github_connect, job_requests, registration
from services.api.dashboard.pages import last_event_id
from services.api.dashboard.render import PREFIX, form_fields, page, redirect
from services.api.dashboard.session import Viewer, check_form, viewer
from services.api.http import keys
from services.api.http.body import field_error, path_uuid
from services.api.http.errors import Forbidden, NotFound, ValidationFailed
from services.api.http.spec import HTML, operation

routes = web.RouteTableDef()
FORM_ERRORS = (ValidationFailed, Forbidden, NotFound)


async def _form(request: web.Request) -> tuple[Viewer, dict[str, str]]:
    who = await viewer(request)
    form = form_fields(await request.post())
    check_form(request, form, who.session)
    return who, form


class RegisterForm(msgspec.Struct, kw_only=True):
    kind: Literal["url", "path", "github"]
    location: str


@routes.post(PREFIX + "/repos")
@operation(
    "Dashboard: register a repository (https URL, GitHub name, or a local path)",
    tags=("dashboard",),
    responses={303: None, 400: HTML},
    errors=FORM_ERRORS,
    security="none",
)
@page
async def register(request: web.Request) -> web.StreamResponse:
    who, form = await _form(request)
    try:
        given = msgspec.convert(form, RegisterForm)
        body = msgspec.convert({given.kind: given.location.strip()}, RepoCreate)
    except msgspec.ValidationError as exc:
        raise field_error(exc) from None
    app = request.app

    async def connect_github(full_name: str) -> tuple[Repository, bool]:
        return await github_connect.connect(
            app[keys.POOL],
            app[keys.HTTP],
            app[keys.SETTINGS],
            app[keys.KEYRING],
            who.principal,
            full_name,
        )

    repo, _ = await registration.register(
        app[keys.POOL], app[keys.SETTINGS], who.principal, body, connect_github
    )
    return redirect(f"{PREFIX}/repos/{repo.id}")


@routes.post(PREFIX + "/repos/{id}/analyse")
@operation(
    "Dashboard: analyse a repository now (sync to its HEAD, then analyse and generate CI)",
    tags=("dashboard",),
    responses={303: None, 404: HTML},
    errors=FORM_ERRORS,
    security="none",
    rate_limit="expensive",
)
@page
async def analyse(request: web.Request) -> web.StreamResponse:
    who, _ = await _form(request)
    app = request.app
    repo = await registration.get(app[keys.POOL], who.principal, path_uuid(request))
    # Taken before the job is submitted, so the page's live view misses none of its events.
    after = await last_event_id(request, who.principal.organization_id)
    # A sync reads the branch's HEAD and analyses it (then CI is generated from that).
    await job_requests.request_sync(app[keys.POOL], app[keys.REDIS], who.principal, repo.id)
    return redirect(f"{PREFIX}/repos/{repo.id}?after={after}#progress")


@routes.post(PREFIX + "/repos/{id}/pull-request")
@operation(
    "Dashboard: open a pull request with the generated workflow (GitHub repositories)",
    tags=("dashboard",),
    responses={303: None, 400: HTML, 404: HTML},
    errors=(*FORM_ERRORS, job_requests.NotSynced),
    security="none",
    rate_limit="expensive",
)
@page
async def pull_request(request: web.Request) -> web.StreamResponse:
    who, form = await _form(request)
    app = request.app
    repo = await registration.get(app[keys.POOL], who.principal, path_uuid(request))
    if repo.provider != "github":
        raise ValidationFailed("Pull requests are opened on GitHub repositories only.")
    commit = form.get("commit") or None
    after = await last_event_id(request, who.principal.organization_id)
    try:
        body = msgspec.convert(
            {"commit": commit, "open_pull_request": True}, job_requests.AnalyzeRequest
        )
    except msgspec.ValidationError as exc:
        raise field_error(exc) from None
    # The analysis of an unchanged commit reuses its report; its CI job opens the PR.
    await job_requests.request_analysis(
        app[keys.POOL], app[keys.REDIS], who.principal, repo.id, body
    )
    return redirect(f"{PREFIX}/repos/{repo.id}?after={after}#progress")


@routes.post(PREFIX + "/repos/{id}/delete")
@operation(
    "Dashboard: delete a repository with its jobs and analyses (as DELETE /v1/repos/{id})",
    tags=("dashboard",),
    responses={303: None, 404: HTML},
    errors=FORM_ERRORS,
    security="none",
)
@page
async def delete(request: web.Request) -> web.StreamResponse:
    who, form = await _form(request)
    repo = await registration.get(request.app[keys.POOL], who.principal, path_uuid(request))
    if form.get("confirm") != repo.full_name:
        raise ValidationFailed("Type the repository's name to confirm its deletion.")
    async with request.app[keys.POOL].acquire() as conn:
        await repos_db.delete_repository(conn, who.principal.organization_id, repo.id)
    return redirect(PREFIX)


@routes.post(PREFIX + "/jobs/{id}/cancel")
@operation(
    "Dashboard: cancel a job (as POST /v1/jobs/{id}/cancel)",
    tags=("dashboard",),
    responses={303: None, 404: HTML},
    errors=FORM_ERRORS,
    security="none",
)
@page
async def cancel_from_dashboard(request: web.Request) -> web.StreamResponse:
    who, _ = await _form(request)
    app = request.app
    await job_requests.cancel(
        app[keys.POOL], app[keys.REDIS], app[keys.SETTINGS], who.principal, path_uuid(request)
    )
    return redirect(f"{PREFIX}/jobs")
