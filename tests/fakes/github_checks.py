"""The fake GitHub's diffs, check runs and code scanning uploads, on GitHub's wire format.

Check runs can only be written by a GitHub App installation with `checks: write`
(GitHub answers 403 to anyone else); at most 50 annotations per request (422 beyond);
an update appends its annotations. Lists page with `per_page`/`page` and Link headers.
"""

from __future__ import annotations

import base64
import difflib
import gzip
import itertools
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from tests.fakes.github_state import Commit, FakeRepo

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub

_ids = itertools.count(70_000)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_LEVELS = {"notice", "warning", "failure"}
_CONCLUSIONS = {
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
}


def _message(status: int, message: str) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": "https://docs.github.com/rest/checks"},
        status=status,
    )


def paged(request: web.Request, items: list[Any], key: str | None = None) -> web.Response:
    """One page of `items` as GitHub serves lists: per_page (≤100), page, Link header."""
    per_page = min(max(int(request.query.get("per_page", "30")), 1), 100)
    page = max(int(request.query.get("page", "1")), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []
    url = URL(str(request.url))
    if page < last:
        links.append(f'<{url.update_query(page=page + 1, per_page=per_page)}>; rel="next"')
        links.append(f'<{url.update_query(page=last, per_page=per_page)}>; rel="last"')
    if page > 1:
        links.append(f'<{url.update_query(page=1, per_page=per_page)}>; rel="first"')
        links.append(f'<{url.update_query(page=page - 1, per_page=per_page)}>; rel="prev"')
    body: Any = {"total_count": len(items), key: chunk} if key else chunk
    headers = {"Link": ", ".join(links)} if links else None
    return web.json_response(body, headers=headers)


def diff_files(base: Commit, head: Commit) -> list[dict[str, Any]]:
    """GitHub's `files` of a comparison: status, counts and the unified-diff patch."""
    files = []
    for path in sorted(set(base.files) | set(head.files)):
        old, new = base.files.get(path), head.files.get(path)
        if old == new:
            continue
        status = "added" if old is None else "removed" if new is None else "modified"
        entry: dict[str, Any] = {"filename": path, "status": status}
        try:
            old_lines = (old or b"").decode().splitlines()
            new_lines = (new or b"").decode().splitlines()
        except UnicodeDecodeError:
            files.append(entry)  # binary: GitHub sends no patch
            continue
        hunks = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=3))[2:]
        entry["patch"] = "\n".join(hunks)
        entry["additions"] = sum(1 for h in hunks if h.startswith("+"))
        entry["deletions"] = sum(1 for h in hunks if h.startswith("-"))
        files.append(entry)
    return files


class FakeChecks:
    def __init__(self, github: FakeGitHub) -> None:
        self.github = github

    def routes(self, router: web.UrlDispatcher) -> None:
        base = "/repos/{owner}/{repo}"
        router.add_get(base + "/compare/{basehead}", self._compare)
        router.add_get(base + "/pulls/{number}/files", self._pull_files)
        router.add_post(base + "/check-runs", self._create_run)
        router.add_patch(base + "/check-runs/{run_id}", self._update_run)
        router.add_get(base + "/check-runs/{run_id}/annotations", self._annotations)
        router.add_get(base + "/commits/{ref}/check-runs", self._runs_for_ref)
        router.add_post(base + "/code-scanning/sarifs", self._upload_sarif)

    async def _compare(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        base_ref, _, head_ref = request.match_info["basehead"].partition("...")
        base, head = repo.resolve(base_ref), repo.resolve(head_ref)
        if base is None or head is None:
            return _message(404, "Not Found")
        files = diff_files(base, head)
        return web.json_response(
            {"status": "ahead", "ahead_by": 1, "total_commits": 1, "files": files[:300]}
        )

    async def _pull_files(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        number = int(request.match_info["number"])
        pull = next((p for p in repo.pulls if p["number"] == number), None)
        if pull is None:
            return _message(404, "Not Found")
        base, head = repo.resolve(pull["base"]["ref"]), repo.resolve(pull["head"]["ref"])
        if base is None or head is None:
            return _message(404, "Not Found")
        return paged(request, diff_files(base, head))

    def _writer(self, request: web.Request) -> FakeRepo | web.Response:
        """The repository if an installation with checks: write asks, else GitHub's 403."""
        repo = self.github.repo_for(request)
        token = request.headers.get("Authorization", "").partition(" ")[2]
        installation = self.github.apps.installation_of(token)
        if installation is None:
            return _message(403, "You must authenticate via a GitHub App.")
        if installation.permissions.get("checks") != "write":
            return _message(403, "Resource not accessible by integration")
        return repo

    async def _create_run(self, request: web.Request) -> web.Response:
        repo = self._writer(request)
        if isinstance(repo, web.Response):
            return repo
        body = await request.json()
        refused = _invalid_run(body, creating=True) or (
            None if repo.resolve(body.get("head_sha", "")) else "No commit found for SHA"
        )
        if refused:
            return _message(422, f"Validation Failed: {refused}")
        output = body.get("output") or {}
        run = {
            "id": next(_ids),
            "name": body["name"],
            "head_sha": body["head_sha"],
            "external_id": body.get("external_id", ""),
            "status": body.get("status", "queued"),
            "conclusion": body.get("conclusion"),
            "details_url": body.get("details_url"),
            "output": {
                "title": output.get("title"),
                "summary": output.get("summary"),
                "annotations_count": len(output.get("annotations", [])),
            },
            "app": {"id": self.github.apps.app_id, "slug": self.github.apps.slug},
            "annotations": list(output.get("annotations", [])),
        }
        repo.check_runs.append(run)
        return web.json_response(_public_run(run), status=201)

    async def _update_run(self, request: web.Request) -> web.Response:
        repo = self._writer(request)
        if isinstance(repo, web.Response):
            return repo
        run = next(
            (r for r in repo.check_runs if str(r["id"]) == request.match_info["run_id"]), None
        )
        if run is None:
            return _message(404, "Not Found")
        body = await request.json()
        refused = _invalid_run(body, creating=False)
        if refused:
            return _message(422, f"Validation Failed: {refused}")
        for name in ("status", "conclusion", "external_id", "details_url"):
            if name in body:
                run[name] = body[name]
        output = body.get("output")
        if output:
            run["annotations"].extend(output.get("annotations", []))
            run["output"].update(title=output["title"], summary=output["summary"])
            run["output"]["annotations_count"] = len(run["annotations"])
        return web.json_response(_public_run(run))

    async def _annotations(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        run = next(
            (r for r in repo.check_runs if str(r["id"]) == request.match_info["run_id"]), None
        )
        if run is None:
            return _message(404, "Not Found")
        return paged(request, run["annotations"])

    async def _runs_for_ref(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        commit = repo.resolve(request.match_info["ref"])
        if commit is None:
            return _message(422, f"No commit found for SHA: {request.match_info['ref']}")
        name = request.query.get("check_name")
        runs = [
            _public_run(r)
            for r in reversed(repo.check_runs)
            if r["head_sha"] == commit.sha and (name is None or r["name"] == name)
        ]
        return paged(request, runs, key="check_runs")

    async def _upload_sarif(self, request: web.Request) -> web.Response:
        repo = self.github.repo_for(request)
        body = await request.json()
        if not repo.code_scanning:
            return _message(
                403, "Advanced Security must be enabled for this repository to use code scanning."
            )
        if not _SHA.match(body.get("commit_sha", "")) or not str(body.get("ref", "")).startswith(
            "refs/"
        ):
            return _message(422, "Invalid commit_sha or ref")
        try:
            sarif = json.loads(gzip.decompress(base64.b64decode(body["sarif"])))
        except (KeyError, ValueError, OSError):
            return _message(400, "Invalid SARIF: not gzipped base64 JSON")
        if sarif.get("version") != "2.1.0":
            return _message(400, "Invalid SARIF: only version 2.1.0 is supported")
        upload_id = str(uuid.uuid4())
        repo.sarifs.append(
            {"id": upload_id, "ref": body["ref"], "commit_sha": body["commit_sha"], "sarif": sarif}
        )
        url = f"{self.github.api_url}/repos/{repo.full_name}/code-scanning/sarifs/{upload_id}"
        return web.json_response({"id": upload_id, "url": url}, status=202)


def _invalid_run(body: dict[str, Any], *, creating: bool) -> str | None:
    if creating and (not body.get("name") or not body.get("head_sha")):
        return "name and head_sha are required"
    if body.get("status") == "completed" and body.get("conclusion") not in _CONCLUSIONS:
        return "conclusion is required when status is completed"
    output = body.get("output")
    if output is None:
        return None
    if not output.get("title") or not output.get("summary"):
        return "output needs title and summary"
    notes = output.get("annotations", [])
    if len(notes) > 50:
        return "Only 50 annotations are allowed per request"
    for note in notes:
        if not {"path", "start_line", "end_line", "annotation_level", "message"} <= set(note):
            return "annotation is missing a required field"
        if note["annotation_level"] not in _LEVELS:
            return f"annotation_level {note['annotation_level']!r} is not valid"
    return None


def _public_run(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "annotations"}
