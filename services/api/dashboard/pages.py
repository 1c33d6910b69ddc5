"""The dashboard's pages: overview, repository, CI, jobs, usage. Each reads the same
query functions as the API (libs/common/db) within the viewer's organization; another
organization's repository is a 404, as in the API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import YamlLexer

from libs.common.db import ai_usage, score_history
from libs.common.db import analyses as analyses_db
from libs.common.db import jobs as jobs_db
from libs.common.db import orgs as orgs_db
from libs.common.db import overview as overview_db
from libs.common.db import rehearsals as rehearsals_db
from libs.common.db.paging import CURSOR_PATTERN, Position
from libs.common.redis import keys as redis_keys
from libs.common.rehearsal import workflow_digest
from libs.common.schemas import JobStatus
from services.api import quota, registration
from services.api.dashboard import changes, charts, report_view
from services.api.dashboard.render import PREFIX, page, render
from services.api.dashboard.session import viewer
from services.api.http import keys
from services.api.http.body import decode_query, path_uuid
from services.api.http.spec import HTML, operation
from services.api.routes import admin

routes = web.RouteTableDef()
PAGE_SIZE = 50
FORMATTER = HtmlFormatter(cssclass="hl", linenos="table", wrapcode=True)


class OverviewPageQuery(msgspec.Struct, kw_only=True):
    sort: overview_db.Sort = "name"
    q: Annotated[str, msgspec.Meta(max_length=100)] = ""
    band: Annotated[str, msgspec.Meta(pattern="^(|excellent|good|fair|poor|critical)$")] = ""
    page: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1


async def last_event_id(request: web.Request, organization_id: uuid.UUID) -> str:
    """Where a page's live view starts: right after the org stream's newest event."""
    newest = await request.app[keys.REDIS].xrevrange(
        redis_keys.org_events(str(organization_id)), count=1
    )
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def _org_context(request: web.Request) -> dict[str, Any]:
    who = await viewer(request)
    async with request.app[keys.POOL].acquire() as conn:
        orgs = (await orgs_db.organizations_of(conn, who.principal.user_id, limit=100)).items
    current = next((o for o in orgs if o.id == who.principal.organization_id), None)
    admin = request.app[keys.SETTINGS].admin_organization
    is_admin = current is not None and current.slug == admin and current.role != "member"
    return {"orgs": orgs, "org": current, "is_admin": is_admin}


@routes.get("/")
@operation("The dashboard (redirects)", tags=("dashboard",), responses={302: None}, security="none")
async def root(request: web.Request) -> web.StreamResponse:
    return web.Response(status=302, headers={"Location": PREFIX})


@routes.get(PREFIX)
@operation(
    "Dashboard: every repository's health at a glance",
    tags=("dashboard",),
    query=OverviewPageQuery,
    responses={200: HTML},
    security="none",
)
@page
async def overview(request: web.Request) -> web.StreamResponse:
    context = await _org_context(request)
    who = await viewer(request)
    query = decode_query(request, OverviewPageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        found = await overview_db.overview(
            conn,
            who.principal.organization_id,
            sort=query.sort,
            name=query.q,
            band=query.band or None,
            limit=PAGE_SIZE,
            offset=(query.page - 1) * PAGE_SIZE,
        )
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render(
        request,
        "overview.html",
        {
            **context,
            "query": query,
            "found": found,
            "pages": pages,
            "spark": charts.sparkline,
            "spark_size": (charts.SPARK_W, charts.SPARK_H),
            "allow_local": request.app[keys.SETTINGS].allow_local_repos,
        },
    )


class RepoPageQuery(msgspec.Struct, kw_only=True):
    after: Annotated[str, msgspec.Meta(pattern=r"^\d{1,20}-\d{1,20}$")] | None = None


@routes.get(PREFIX + "/repos/{id}")
@operation(
    "Dashboard: a repository's score history, latest report and live progress",
    tags=("dashboard",),
    query=RepoPageQuery,
    responses={200: HTML, 404: HTML},
    security="none",
)
@page
async def repository(request: web.Request) -> web.StreamResponse:
    context = await _org_context(request)
    who = await viewer(request)
    org_id = who.principal.organization_id
    repo = await registration.get(request.app[keys.POOL], who.principal, path_uuid(request))
    query = decode_query(request, RepoPageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        # The API's GET /v1/repos/{id}/history, newest first: the chart wants oldest first.
        points = await score_history.page(conn, org_id, repo.id, limit=100)
        recent = (await analyses_db.list_analyses(conn, org_id, repo.id, limit=2)).items
        reports = [await analyses_db.get_analysis(conn, org_id, a.id) for a in recent]
        jobs = (await jobs_db.list_jobs(conn, org_id, repository_id=repo.id, limit=10)).items
    latest = previous = None
    if reports and reports[0] is not None:
        latest = (reports[0][0], report_view.decode(reports[0][1]))
    if len(reports) > 1 and reports[1] is not None:
        previous = report_view.decode(reports[1][1])
    diff = changes.between(previous, latest[1]) if latest and previous else None
    return render(
        request,
        "repository.html",
        {
            **context,
            "repo": repo,
            "chart": charts.history(points[::-1]),
            "latest": latest,
            "diff": diff,
            "jobs": jobs,
            "after": query.after or await last_event_id(request, org_id),
        },
    )


@routes.get(PREFIX + "/repos/{id}/ci")
@operation(
    "Dashboard: the CI generated for a repository's latest analysis",
    tags=("dashboard",),
    responses={200: HTML, 404: HTML},
    security="none",
)
@page
async def ci(request: web.Request) -> web.StreamResponse:
    context = await _org_context(request)
    who = await viewer(request)
    org_id = who.principal.organization_id
    repo = await registration.get(request.app[keys.POOL], who.principal, path_uuid(request))
    async with request.app[keys.POOL].acquire() as conn:
        recent = (await analyses_db.list_analyses(conn, org_id, repo.id, limit=1)).items
        configs = (
            (await analyses_db.ci_configs_for(conn, org_id, recent[0].id)).items if recent else []
        )
        rehearsed = [
            await rehearsals_db.latest(conn, org_id, c.id, workflow_digest(c.content))
            for c in configs
        ]
    shown = []
    for config, rehearsal in zip(configs, rehearsed, strict=True):
        existing = config.validation.get("existing")
        diff = None
        if isinstance(existing, dict) and isinstance(existing.get("content"), str):
            diff = changes.unified(
                existing["content"], config.content, str(existing.get("path")), config.path
            )
        details = {
            k: v
            for k, v in config.validation.items()
            if k not in ("existing", "explanation", "notes", "proposal")
        }
        shown.append(
            {
                "config": config,
                "highlighted": highlight(config.content, YamlLexer(), FORMATTER),
                "diff": diff,
                "existing_path": existing.get("path") if isinstance(existing, dict) else None,
                "details": details,
                "explanation": config.validation.get("explanation") or [],
                "notes": config.validation.get("notes") or [],
                "rehearsal": rehearsal,
            }
        )
    return render(
        request,
        "ci.html",
        {
            **context,
            "repo": repo,
            "analysis": recent[0] if recent else None,
            "configs": shown,
            "public_url": request.app[keys.SETTINGS].public_url
            or f"{request.scheme}://{request.host}",
        },
    )


class JobsPageQuery(msgspec.Struct, kw_only=True):
    status: JobStatus | Literal[""] = ""
    kind: Annotated[str, msgspec.Meta(pattern="^(|sync|analysis|ci_generation)$")] = ""
    cursor: Annotated[str, msgspec.Meta(pattern=CURSOR_PATTERN)] | None = None


@routes.get(PREFIX + "/jobs")
@operation(
    "Dashboard: the organization's jobs, live",
    tags=("dashboard",),
    query=JobsPageQuery,
    responses={200: HTML},
    security="none",
)
@page
async def jobs(request: web.Request) -> web.StreamResponse:
    context = await _org_context(request)
    who = await viewer(request)
    query = decode_query(request, JobsPageQuery)
    async with request.app[keys.POOL].acquire() as conn:
        found = await jobs_db.list_jobs(
            conn,
            who.principal.organization_id,
            status=query.status or None,
            kind=query.kind or None,
            after=Position.from_cursor(query.cursor) if query.cursor else None,
            limit=100,
        )
    older = None
    if found.next is not None:
        older = {"status": query.status, "kind": query.kind, "cursor": found.next.cursor()}
    return render(
        request,
        "jobs.html",
        {
            **context,
            "query": query,
            "jobs": found.items,
            "older": older,
            # Live updates only on the first, unfiltered page: the newest jobs.
            "live": not (query.status or query.kind or query.cursor),
            "after": await last_event_id(request, who.principal.organization_id),
        },
    )


@routes.get(PREFIX + "/usage")
@operation(
    "Dashboard: AI usage against the quota; queue depths and top AI users for operators",
    tags=("dashboard",),
    responses={200: HTML},
    security="none",
)
@page
async def usage(request: web.Request) -> web.StreamResponse:
    context = await _org_context(request)
    who = await viewer(request)
    settings = request.app[keys.SETTINGS]
    async with request.app[keys.POOL].acquire() as conn:
        mine = await quota.usage(conn, settings, who.principal)
        top = (
            await ai_usage.top_users(conn, None, hours=24, limit=10)
            if context["is_admin"]
            else None
        )
    queues = await admin.queues_of(request.app[keys.REDIS]) if context["is_admin"] else None
    return render(request, "usage.html", {**context, "usage": mine, "top": top, "queues": queues})
