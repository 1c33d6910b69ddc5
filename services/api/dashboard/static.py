"""The dashboard's script and styles, read once and served with a long cache (each URL
carries the file's digest, so a new release is a new URL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiohttp import web
from pygments.formatters import HtmlFormatter

from services.api.dashboard.render import PREFIX, SECURITY_HEADERS
from services.api.http.errors import NotFound
from services.api.http.spec import operation

routes = web.RouteTableDef()
FOLDER = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript", ".css": "text/css"}


def _load() -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in FOLDER.iterdir() if p.suffix in TYPES}
    files["highlight.css"] = HtmlFormatter(style="default").get_style_defs(".hl").encode()  # type: ignore[no-untyped-call]
    return files


FILES = _load()
VERSIONS = {name: hashlib.sha256(body).hexdigest()[:12] for name, body in FILES.items()}


def url(name: str) -> str:
    return f"{PREFIX}/static/{name}?v={VERSIONS[name]}"


@routes.get(PREFIX + "/static/{name}")
@operation(
    "Dashboard: its script and style sheets",
    tags=("dashboard",),
    responses={200: "text/css"},
    errors=(NotFound,),
    security="none",
    rate_limit="none",
)
async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    body = FILES.get(name)
    if body is None:
        raise NotFound("No such file.")
    return web.Response(
        body=body,
        content_type=TYPES[Path(name).suffix],
        charset="utf-8",
        headers={
            **SECURITY_HEADERS,
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )
