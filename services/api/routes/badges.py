"""README badges: /badge/{owner}/{repo}.svg, for repositories their owners made public.

No authentication (README images are fetched anonymously, by GitHub's camo proxy among
others), so the answer carries a score and a band and nothing else, and a private,
unknown or not-opted-in repository is one and the same 404.
"""

from __future__ import annotations

import hashlib
import re

from aiohttp import web

from libs.common.db import score_history
from services.api.badge_svg import render_badge
from services.api.http import keys
from services.api.http.errors import NotFound
from services.api.http.spec import operation

routes = web.RouteTableDef()

_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# Caches (GitHub's camo among them) may keep a badge five minutes.
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60"


@routes.get("/badge/{owner}/{repo}.svg")
@operation(
    "A repository's health badge (SVG)",
    tags=("badges",),
    description=(
        "The newest default-branch score and band of a public GitHub repository whose "
        "owners set `badge_public` (PATCH /v1/repos/{id}/settings). Cacheable for five "
        "minutes, with an ETag; 404 for any other repository."
    ),
    responses={200: "image/svg+xml", 304: None},
    errors=(NotFound,),
    security="none",
)
async def badge(request: web.Request) -> web.Response:
    owner, name = request.match_info["owner"], request.match_info["repo"]
    if not _OWNER.match(owner) or not _NAME.match(name):
        raise NotFound("No badge for that repository.")
    async with request.app[keys.POOL].acquire() as conn:
        found = await score_history.public_badge(conn, f"{owner}/{name}")
    if found is None:
        raise NotFound("No badge for that repository.")
    svg = render_badge("devops health", found.score, found.band).encode()
    etag = '"' + hashlib.sha256(svg).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=svg, content_type="image/svg+xml", headers=headers)
