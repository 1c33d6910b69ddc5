"""A local GitHub: the REST endpoints the platform uses and the OAuth web flow, on port 0.

Set GITHUB_API_URL and GITHUB_OAUTH_URL to `fake.url`. Tarball downloads answer 302 to a
codeload-style URL on `localhost` (another host than the API's 127.0.0.1, as codeload is
on GitHub), which checks a one-time token in its query and needs no Authorization.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.github_app import FakeApps
from tests.fakes.github_checks import FakeChecks, paged
from tests.fakes.github_oauth import FakeOAuth
from tests.fakes.github_repo_api import FakeRepoApi
from tests.fakes.github_state import FakeRepo, FakeUser, Fault, Recorded, new_token

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER_KEY = web.RequestKey("user", FakeUser)


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": "https://docs.github.com/rest"},
        status=status,
        headers=headers,
    )


@dataclass
class FakeGitHub:
    users: dict[str, FakeUser] = field(default_factory=dict)  # token -> user
    repos: dict[str, FakeRepo] = field(default_factory=dict)  # "owner/name" (lower) -> repo
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    rate_remaining: int = 5000
    not_modified: int = 0  # conditional GETs answered 304
    api_prefix: str = ""  # "/api/v3" serves the REST API where GitHub Enterprise does
    url: str = ""  # the web host: GITHUB_OAUTH_URL
    _downloads: dict[str, tuple[str, str]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _port: int = 0

    def __post_init__(self) -> None:
        self.oauth = FakeOAuth(self.users)  # apps, who signs in: scripted by tests
        self.apps = FakeApps(self.users)  # the GitHub App, its installations and tokens
        self.checks = FakeChecks(self)  # diffs, check runs, code scanning uploads
        self.repo_api = FakeRepoApi(self)  # what the API checks read

    # -- scripting -----------------------------------------------------------------------
    def add_user(self, login: str, token: str | None = None, **fields: Any) -> tuple[FakeUser, str]:
        user = FakeUser(login, **fields)
        token = token or new_token("ghp_")
        self.users[token] = user
        return user, token

    def add_repo(self, full_name: str, files: Mapping[str, str | bytes], **fields: Any) -> FakeRepo:
        owner, name = full_name.split("/")
        repo = FakeRepo(owner, name, **fields)
        repo.commit(files, message="initial")
        self.repos[full_name.lower()] = repo
        return repo

    def fail(self, method: str, path_prefix: str, status: int, **fields: Any) -> None:
        self.faults.append(Fault(method, path_prefix, status, **fields))

    def calls(self, method: str, path_prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # -- server --------------------------------------------------------------------------
    async def start(self) -> str:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._middleware(request, handler)

        app = web.Application(middlewares=[middleware])
        app.router.add_get("/login/oauth/authorize", self.oauth.authorize)
        app.router.add_post("/login/oauth/access_token", self.oauth.access_token)
        app.router.add_get("/_codeload/{owner}/{repo}/legacy.tar.gz/{sha}", self._codeload)
        api = web.Application() if self.api_prefix else app
        r = api.router
        r.add_get("/user", self._user)
        self.apps.routes(r)
        self.checks.routes(r)
        self.repo_api.routes(r)
        base = "/repos/{owner}/{repo}"
        r.add_get(base, self._repo)
        r.add_get(base + "/branches/{branch:.+}", self._branch)
        r.add_get(base + "/commits/{ref:.+}", self._commit)
        r.add_get(base + "/tarball/{ref:.*}", self._tarball)
        r.add_get(base + "/git/ref/heads/{branch:.+}", self._get_ref)
        r.add_post(base + "/git/refs", self._create_ref)
        r.add_get(base + "/contents/{path:.+}", self._get_contents)
        r.add_put(base + "/contents/{path:.+}", self._put_contents)
        r.add_get(base + "/pulls", self._list_pulls)
        r.add_post(base + "/pulls", self._create_pull)
        r.add_get(base + "/hooks", self._list_hooks)
        r.add_post(base + "/hooks", self._create_hook)
        r.add_patch(base + "/hooks/{hook_id}", self._update_hook)
        r.add_delete(base + "/hooks/{hook_id}", self._delete_hook)
        if self.api_prefix:
            app.add_subapp(self.api_prefix, api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self._port}"
        return self.url

    @property
    def api_url(self) -> str:
        """GITHUB_API_URL."""
        return self.url + self.api_prefix

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        auth = request.headers.get("Authorization")
        user = None
        # App JWTs ("Bearer ...") are checked by the app routes themselves.
        if auth and not auth.lower().startswith("bearer "):
            token = auth.split(" ", 1)[-1]
            user = self.users.get(token)
            if user is None and not request.path.startswith("/login/"):
                return _message(401, "Bad credentials")
        body = await request.read()
        path = request.path.removeprefix(self.api_prefix) if self.api_prefix else request.path
        self.requests.append(
            Recorded(request.method, path, user.login if user else None, auth, body)
        )
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.method == request.method
                and path.startswith(fault.path_prefix)
            ):
                fault.times -= 1
                return _message(fault.status, fault.message, fault.headers)
        if user is not None:
            request[USER_KEY] = user
        response = await handler(request)
        etag = _etag(request, response)
        if etag is not None and etag == request.headers.get("If-None-Match"):
            # GitHub: an authorized conditional request answered 304 costs no rate limit.
            response = web.Response(status=304, headers={"ETag": etag})
            self.not_modified += 1
        else:
            self.rate_remaining = max(self.rate_remaining - 1, 0)
        response.headers["X-RateLimit-Limit"] = "5000"
        response.headers["X-RateLimit-Remaining"] = str(self.rate_remaining)
        response.headers["X-RateLimit-Reset"] = "4102444800"
        return response

    # -- helpers -------------------------------------------------------------------------
    def repo_for(self, request: web.Request, need: str = "pull") -> FakeRepo:
        info = request.match_info
        repo = self.repos.get(f"{info['owner']}/{info['repo']}".lower())
        user = request.get(USER_KEY)
        if repo is None or not repo.permission(user.login if user else None)[need]:
            # GitHub hides what a token may not see (and what it may not administer).
            raise web.HTTPNotFound(
                text=json.dumps({"message": "Not Found"}), content_type="application/json"
            )
        return repo

    # -- REST ----------------------------------------------------------------------------
    async def _user(self, request: web.Request) -> web.Response:
        user = request.get(USER_KEY)
        if user is None:
            return _message(401, "Requires authentication")
        return web.json_response(user.as_json())

    async def _repo(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        user = request.get(USER_KEY)
        return web.json_response(repo.as_json(self.url, user.login if user else None))

    async def _branch(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        name = request.match_info["branch"]
        if name not in repo.branches:
            return _message(404, "Branch not found")
        sha = repo.branches[name]
        return web.json_response({"name": name, "commit": {"sha": sha}, "protected": False})

    async def _commit(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        commit = repo.resolve(request.match_info["ref"])
        if commit is None:
            return _message(422, f"No commit found for SHA: {request.match_info['ref']}")
        return web.json_response(
            {
                "sha": commit.sha,
                "commit": {"message": commit.message},
                "parents": [{"sha": p} for p in commit.parents],
                "html_url": f"{self.url}/{repo.full_name}/commit/{commit.sha}",
            }
        )

    async def _tarball(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        commit = repo.resolve(request.match_info["ref"] or repo.default_branch)
        if commit is None:
            return _message(404, "Not Found")
        token = secrets.token_urlsafe(16)
        self._downloads[token] = (repo.full_name.lower(), commit.sha)
        location = (
            f"http://localhost:{self._port}/_codeload/{repo.owner}/{repo.name}"
            f"/legacy.tar.gz/{commit.sha}?token={token}"
        )
        raise web.HTTPFound(location)

    async def _codeload(self, request: web.Request) -> web.Response:
        grant = self._downloads.pop(request.query.get("token", ""), None)
        info = request.match_info
        if grant is None or grant != (f"{info['owner']}/{info['repo']}".lower(), info["sha"]):
            return web.Response(status=404, text="Not Found")
        body = self.repos[grant[0]].tarball(grant[1])
        return web.Response(body=body, content_type="application/x-gzip")

    async def _get_ref(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        branch = request.match_info["branch"]
        if branch not in repo.branches:
            return _message(404, "Not Found")
        ref = {"ref": f"refs/heads/{branch}", "object": {"sha": repo.branches[branch]}}
        return web.json_response(ref)

    async def _create_ref(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "push")
        body = await request.json()
        ref, sha = body.get("ref", ""), body.get("sha", "")
        if not ref.startswith("refs/heads/") or sha not in repo.commits:
            return _message(422, "Object does not exist" if ref else "Invalid request")
        branch = ref.removeprefix("refs/heads/")
        if branch in repo.branches:
            return _message(422, "Reference already exists")
        repo.branches[branch] = sha
        return web.json_response({"ref": ref, "object": {"sha": sha}}, status=201)

    async def _get_contents(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        commit = repo.resolve(request.query.get("ref", repo.default_branch))
        path = request.match_info["path"]
        if commit is None or path not in commit.files:
            return _message(404, "Not Found")
        content = commit.files[path]
        return web.json_response(
            {
                "type": "file",
                "path": path,
                "sha": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
                "encoding": "base64",
                "content": base64.encodebytes(content).decode(),
            }
        )

    async def _put_contents(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "push")
        body = await request.json()
        path = request.match_info["path"]
        branch = body.get("branch", repo.default_branch)
        head = repo.resolve(branch)
        if head is None:
            return _message(404, f"Branch {branch} not found")
        current = head.files.get(path)
        if current is not None:
            current_sha = hashlib.sha1(current, usedforsecurity=False).hexdigest()
            if body.get("sha") != current_sha:
                return _message(409, f"{path} does not match {body.get('sha')}")
        files = dict(head.files)
        files[path] = base64.b64decode(body["content"])
        sha = repo.commit(files, branch=branch, message=body["message"])
        return web.json_response(
            {"content": {"path": path}, "commit": {"sha": sha}}, status=200 if current else 201
        )

    async def _list_pulls(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request)
        head = request.query.get("head")
        state = request.query.get("state", "open")
        found = [
            p
            for p in repo.pulls
            if (head is None or f"{repo.owner}:{p['head']['ref']}" == head)
            and (state == "all" or p["state"] == state)
        ]
        return paged(request, list(reversed(found)))  # newest first, as GitHub sorts

    async def _create_pull(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "push")
        body = await request.json()
        head, base = body.get("head", ""), body.get("base", "")
        if head not in repo.branches or base not in repo.branches:
            return _message(422, "Validation Failed: head or base does not exist")
        if any(p["head"]["ref"] == head and p["state"] == "open" for p in repo.pulls):
            return _message(422, f"Validation Failed: A pull request already exists for {head}.")
        number = len(repo.pulls) + 1
        pull = {
            "number": number,
            "state": "open",
            "title": body.get("title"),
            "body": body.get("body"),
            "html_url": f"{self.url}/{repo.full_name}/pull/{number}",
            "head": {"ref": head},
            "base": {"ref": base},
        }
        repo.pulls.append(pull)
        return web.json_response(pull, status=201)

    async def _list_hooks(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "admin")
        return web.json_response([_public_hook(h) for h in repo.hooks])

    async def _create_hook(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "admin")
        body = await request.json()
        if body.get("name") != "web" or not body.get("config", {}).get("url"):
            return _message(422, "Validation Failed")
        hook = {
            "id": len(repo.hooks) + 1,
            "active": body.get("active", True),
            "events": body.get("events", ["push"]),
            "config": dict(body["config"]),
        }
        repo.hooks.append(hook)
        return web.json_response(_public_hook(hook), status=201)

    async def _update_hook(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "admin")
        hook = _find_hook(repo, request.match_info["hook_id"])
        body = await request.json()
        hook["config"].update(body.get("config", {}))
        hook["events"] = body.get("events", hook["events"])
        hook["active"] = body.get("active", hook["active"])
        return web.json_response(_public_hook(hook))

    async def _delete_hook(self, request: web.Request) -> web.Response:
        repo = self.repo_for(request, "admin")
        repo.hooks.remove(_find_hook(repo, request.match_info["hook_id"]))
        return web.Response(status=204)


def _etag(request: web.Request, response: web.StreamResponse) -> str | None:
    """GitHub's weak ETag of a successful GET's JSON body; None for anything else."""
    if request.method != "GET" or response.status != 200 or not isinstance(response, web.Response):
        return None
    body = response.body
    if not isinstance(body, bytes):
        return None
    etag = f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'
    response.headers["ETag"] = etag
    return etag


def _public_hook(hook: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in hook["config"].items() if k != "secret"}
    if "secret" in hook["config"]:
        config["secret"] = "********"  # GitHub never returns a hook's secret
    return {**hook, "config": config}


def _find_hook(repo: FakeRepo, hook_id: str) -> dict[str, Any]:
    for hook in repo.hooks:
        if str(hook["id"]) == hook_id:
            return hook
    raise web.HTTPNotFound(
        text=json.dumps({"message": "Not Found"}), content_type="application/json"
    )
