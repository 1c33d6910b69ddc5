"""The web dashboard the api serves under /dashboard: server-rendered pages (Jinja2,
autoescaped), a little plain JavaScript for the live parts (the API's own event streams),
no inline script or style (a strict CSP)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from services.api.dashboard import actions, pages, render, signin, static


def setup(app: web.Application) -> None:
    render.setup(app)
    aiohttp_jinja2.get_env(app).globals["asset"] = static.url
    for table in (pages.routes, signin.routes, actions.routes, static.routes):
        app.add_routes(table)
