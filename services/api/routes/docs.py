"""The API description: /openapi.json, the /docs page, and each problem type's page."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from services.api.http import docs_page, keys, openapi
from services.api.http.body import json_response
from services.api.http.errors import NotFound
from services.api.http.openapi import ProblemDetails
from services.api.http.spec import HTML, operation

routes = web.RouteTableDef()
OPENAPI = web.AppKey("openapi", dict[str, Any])
OPENAPI_JSON = web.AppKey("openapi_json", bytes)
DOCS_HTML = web.AppKey("docs_html", bytes)
# The page is ours and static: nothing may load or run from elsewhere.
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


async def prepare(app: web.Application) -> None:
    """on_startup: the routes are final now, so the document is built (and encoded) once."""
    document = openapi.build(app, app[keys.SETTINGS].public_url)
    app[OPENAPI] = document
    app[OPENAPI_JSON] = msgspec.json.encode(document)
    app[DOCS_HTML] = docs_page.render(document).encode()


@routes.get("/openapi.json")
@operation(
    "This API's OpenAPI 3.1 description",
    tags=("meta",),
    responses={200: dict[str, object]},
    security="none",
)
async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI_JSON], content_type="application/json")


@routes.get("/docs")
@operation("This API's documentation page", tags=("meta",), responses={200: HTML}, security="none")
async def docs(request: web.Request) -> web.Response:
    return web.Response(
        body=request.app[DOCS_HTML],
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": CSP},
    )


@routes.get("/problems/{slug}")
@operation(
    "What a problem type means (its `type` URI dereferenced)",
    tags=("meta",),
    responses={200: ProblemDetails},
    errors=(NotFound,),
    security="none",
)
async def problem(request: web.Request) -> web.Response:
    wanted = f"/problems/{request.match_info['slug']}"
    for entry in request.app[OPENAPI]["x-problem-types"]:
        if entry["type"] == wanted:
            found = ProblemDetails(type=wanted, title=entry["title"], status=entry["status"])
            return json_response(msgspec.to_builtins(found))
    raise NotFound("No such problem type; /docs#problems lists them all.")
