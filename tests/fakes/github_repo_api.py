"""The fake GitHub's endpoints behind the API checks: branch protection and rulesets,
recent commits with their statuses, merged pull requests and reviews, Dependabot
settings, private vulnerability reporting and releases.

Settings endpoints need `administration: read` (an installation without it gets GitHub's
403 "Resource not accessible by integration"; a user without admin rights a 404).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakes.github_checks import paged
from tests.fakes.github_state import FakeRepo

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub


def _message(status: int, message: str) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": "https://docs.github.com/rest"}, status=status
    )


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeRepoApi:
    def __init__(self, github: FakeGitHub) -> None:
        self.github = github

    def routes(self, router: web.UrlDispatcher) -> None:
        base = "/repos/{owner}/{repo}"
        router.add_get(base + "/branches/{branch}/protection", self._protection)
        router.add_get(base + "/rules/branches/{branch}", self._rules)
        router.add_get(base + "/commits", self._commits)
        router.add_get(base + "/commits/{ref}/status", self._status)
        router.add_get(base + "/pulls/{number}/reviews", self._reviews)
        router.add_get(base + "/vulnerability-alerts", self._vulnerability_alerts)
        router.add_get(base + "/automated-security-fixes", self._security_fixes)
        router.add_get(base + "/private-vulnerability-reporting", self._reporting)
        router.add_get(base + "/releases", self._releases)

    def _admin(self, request: web.Request) -> FakeRepo | web.Response:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        installation = self.github.apps.installation_of(token)
        if installation is not None:
            repo = self.github.repo_for(request)
            if installation.permissions.get("administration") not in ("read", "write"):
                return _message(403, "Resource not accessible by integration")
            return repo
        return self.github.repo_for(request, "admin")

    async def _protection(self, request: web.Request) -> web.Response:
        repo = self._admin(request)
        if isinstance(repo, web.Response):
            return repo
        if request.match_info["branch"] != repo.default_branch or repo.protection is None:
            return _message(404, "Branch not protected")
        return web.json_response(repo.protection)

    async def _rules(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        return paged(
            request, repo.rules if request.match_info["branch"] == repo.default_branch else []
        )

    async def _commits(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        head = repo.resolve(request.query.get("sha", repo.default_branch))
        since = request.query.get("since")
        floor = (
            dt.datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() if since else 0.0
        )
        found = []
        while head is not None and head.date >= floor:
            found.append(
                {
                    "sha": head.sha,
                    "commit": {
                        "message": head.message,
                        "author": {"name": "dev", "date": _iso(head.date)},
                        "committer": {"name": "dev", "date": _iso(head.date)},
                    },
                    "parents": [{"sha": p} for p in head.parents],
                }
            )
            head = repo.commits.get(head.parents[0]) if head.parents else None
        return paged(request, found)

    async def _status(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        commit = repo.resolve(request.match_info["ref"])
        if commit is None:
            return _message(404, "Not Found")
        statuses = repo.statuses.get(commit.sha, [])
        states = {s["state"] for s in statuses}
        state = (
            "failure"
            if states & {"failure", "error"}
            else "pending"
            if "pending" in states or not statuses
            else "success"
        )
        return web.json_response(
            {"state": state, "sha": commit.sha, "total_count": len(statuses), "statuses": statuses}
        )

    async def _reviews(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        pull = next(
            (p for p in repo.pulls if str(p["number"]) == request.match_info["number"]), None
        )
        if pull is None:
            return _message(404, "Not Found")
        return paged(request, pull.get("reviews", []))

    async def _vulnerability_alerts(self, request: web.Request) -> web.Response:
        repo = self._admin(request)
        if isinstance(repo, web.Response):
            return repo
        if not repo.dependabot_alerts:
            return _message(404, "Vulnerability alerts are disabled.")
        return web.Response(status=204)

    async def _security_fixes(self, request: web.Request) -> web.Response:
        repo = self._admin(request)
        if isinstance(repo, web.Response):
            return repo
        return web.json_response({"enabled": repo.dependabot_security_updates, "paused": False})

    async def _reporting(self, request: web.Request) -> web.Response:
        repo = self._admin(request)
        if isinstance(repo, web.Response):
            return repo
        return web.json_response({"enabled": repo.private_vulnerability_reporting})

    async def _releases(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        return paged(request, repo.releases)
