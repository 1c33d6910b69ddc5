"""Analyses and the CI generated from them: what the pipeline produced, per organization."""

from __future__ import annotations

import msgspec
from aiohttp import web

from libs.common.db import analyses as analyses_db
from services.api import registration
from services.api.http import keys
from services.api.http.body import json_response, path_uuid
from services.api.http.errors import NotFound
from services.api.http.paging import PageQuery, page_query, page_response
from services.api.http.spec import operation
from services.api.views import AnalysisView, AnalysisWithReport, CiConfigView, ListOf

routes = web.RouteTableDef()


@routes.get("/v1/repos/{id}/analyses")
@operation(
    "List a repository's analyses, newest first",
    tags=("analyses",),
    query=PageQuery,
    responses={200: ListOf[AnalysisView]},
    errors=(NotFound,),
)
async def list_analyses(request: web.Request) -> web.Response:
    who = keys.principal(request)
    query, after = page_query(request, PageQuery)
    repo = await registration.get(request.app[keys.POOL], who, path_uuid(request))
    async with request.app[keys.POOL].acquire() as conn:
        page = await analyses_db.list_analyses(
            conn, who.organization_id, repo.id, after=after, limit=query.limit
        )
    return page_response(request, page, AnalysisView.of)


@routes.get("/v1/analyses/{id}")
@operation(
    "Read an analysis and its full report",
    tags=("analyses",),
    responses={200: AnalysisWithReport},
    errors=(NotFound,),
)
async def get_analysis(request: web.Request) -> web.Response:
    who = keys.principal(request)
    async with request.app[keys.POOL].acquire() as conn:
        found = await analyses_db.get_analysis(conn, who.organization_id, path_uuid(request))
    if found is None:
        raise NotFound("No such analysis.")
    row, report = found
    return json_response(
        AnalysisWithReport(analysis=AnalysisView.of(row), report=msgspec.Raw(report))
    )


@routes.get("/v1/analyses/{id}/ci")
@operation(
    "The CI configurations generated from an analysis, with their validation",
    tags=("analyses",),
    query=PageQuery,
    responses={200: ListOf[CiConfigView]},
    errors=(NotFound,),
)
async def list_ci_configs(request: web.Request) -> web.Response:
    who = keys.principal(request)
    query, after = page_query(request, PageQuery)
    analysis_id = path_uuid(request)
    async with request.app[keys.POOL].acquire() as conn:
        page = await analyses_db.ci_configs_for(
            conn, who.organization_id, analysis_id, after=after, limit=query.limit
        )
        if not page.items and not await analyses_db.exists(conn, who.organization_id, analysis_id):
            raise NotFound("No such analysis.")
    return page_response(request, page, CiConfigView.of)
