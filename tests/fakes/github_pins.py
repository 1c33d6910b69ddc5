"""The GitHub REST endpoints the action-pin refresh reads, served from in-memory repos:
`GET /repos/{owner}/{repo}/tags` (paginated with a Link header, as GitHub does),
`/git/commits/{sha}` (404 for anything that is not a commit) and `/branches/{branch}`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeRepo:
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, sha), newest first
    commits: dict[str, str] = field(default_factory=dict)  # sha -> committer date (ISO)
    branches: dict[str, str] = field(default_factory=dict)  # name -> sha


@dataclass
class FakePinsGitHub:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    token: str | None = None  # when set, requests must carry it as a Bearer token
    page_size: int = 100
    requests: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/repos/{owner}/{repo}/tags", self._tags)
        app.router.add_get("/repos/{owner}/{repo}/git/commits/{sha}", self._commit)
        app.router.add_get("/repos/{owner}/{repo}/branches/{branch}", self._branch)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if request.headers.get("Accept") != "application/vnd.github+json":
            return web.json_response({"message": "bad Accept"}, status=415)
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Bad credentials"}, status=401)
        return await handler(request)

    def _repo(self, request: web.Request) -> FakeRepo:
        name = f"{request.match_info['owner']}/{request.match_info['repo']}"
        if name not in self.repos:
            raise web.HTTPNotFound(text='{"message": "Not Found"}', content_type="application/json")
        return self.repos[name]

    async def _tags(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        size = min(int(request.query.get("per_page", "30")), self.page_size)
        page = int(request.query.get("page", "1"))
        chunk = repo.tags[(page - 1) * size : page * size]
        body = [
            {"name": name, "commit": {"sha": sha, "url": f"{request.url.origin()}/c/{sha}"}}
            for name, sha in chunk
        ]
        headers = {}
        if page * size < len(repo.tags):
            url = request.url.update_query(page=str(page + 1))
            headers["Link"] = f'<{url}>; rel="next"'
        return web.json_response(body, headers=headers)

    async def _commit(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        sha = request.match_info["sha"]
        if sha not in repo.commits:
            return web.json_response({"message": "Not Found"}, status=404)
        date = repo.commits[sha]
        return web.json_response(
            {"sha": sha, "committer": {"name": "x", "date": date}, "tree": {"sha": "0" * 40}}
        )

    async def _branch(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        branch = request.match_info["branch"]
        if branch not in repo.branches:
            return web.json_response({"message": "Branch not found"}, status=404)
        return web.json_response({"name": branch, "commit": {"sha": repo.branches[branch]}})
