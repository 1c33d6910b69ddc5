"""GitHub's REST API for one token, on gidgethub, with typed errors and idempotent writes.

Every write is safe to repeat (jobs run at least once): an existing branch is reused, a
file with the same content is not committed again, an open pull request for the branch is
returned instead of a second one, and a webhook for the same URL is updated in place.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Awaitable, MutableMapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import msgspec
from gidgethub import sansio

from libs.github.errors import Invalid, NotFound, Transient, guarded
from libs.github.tarball import ExtractLimits, ExtractStats, safe_extract, save_archive
from libs.github.transport import REQUESTER, RateGate, TokenSource, Transport
from libs.github.types import (
    WEBHOOK_EVENTS,
    BranchInfo,
    CommitInfo,
    FileContent,
    GitHubUser,
    Hook,
    PullRequest,
    RepoInfo,
    RepoSnapshot,
)

T = TypeVar("T")
_FULL_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100})$")
_REF = re.compile(r"^(?!.*\.\.)(?!/)[A-Za-z0-9._/-]{1,255}(?<!/)$")


def split_name(full_name: str) -> tuple[str, str]:
    """("owner", "repo") from "owner/repo"; Invalid for anything else."""
    match = _FULL_NAME.match(full_name)
    if not match:
        raise Invalid(f"not a GitHub repository name: {full_name!r}")
    return match.group(1), match.group(2)


def _checked(ref: str) -> str:
    """A branch, commit or file path safe to put in a URL unescaped (no `..`, no oddities)."""
    if not _REF.match(ref):
        raise Invalid(f"not a valid branch, commit or path: {ref!r}")
    return ref


class GitHubClient:
    """One token's view of GitHub. The session is the caller's (one per process)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        token: str | None,
        api_url: str = sansio.DOMAIN,
        timeout_s: float = 30.0,
        auth: TokenSource | None = None,
        gate: RateGate | None = None,
        principal: str = "anonymous",
        cache: MutableMapping[str, Any] | None = None,
    ) -> None:
        """`token` is a fixed token (a user's OAuth token); `auth` a source of changing
        ones (an installation's). `gate` holds back `principal`'s requests while GitHub
        asked it to wait; `cache` keeps ETags for conditional GETs (a 304 is free)."""
        self._session = session
        self._token = token
        self.api_url = api_url.rstrip("/")
        self._gh = Transport(
            session,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            oauth_token=token,
            base_url=self.api_url,
            auth=auth,
            gate=gate,
            principal=principal,
            cache=cache,
        )

    async def _call(self, request: Awaitable[T]) -> T:
        return await guarded(request)

    @property
    def api(self) -> Transport:
        """The gidgethub client underneath, for modules that add endpoints (checks.py);
        await its calls through `call` to get our errors."""
        return self._gh

    async def call(self, request: Awaitable[T]) -> T:
        return await guarded(request)

    async def collect(self, items: AsyncIterator[Any]) -> list[Any]:
        """Every item of a paginated list (gidgethub follows the Link headers)."""
        return await guarded(_collect(items))

    async def _get(self, url: str, **url_vars: str) -> Any:
        return await self._call(self._gh.getitem(url, url_vars))

    async def get_repo(self, full_name: str) -> RepoInfo:
        owner, repo = split_name(full_name)
        data = await self._get("/repos/{owner}/{repo}", owner=owner, repo=repo)
        return msgspec.convert(data, RepoInfo)

    async def get_branch(self, full_name: str, branch: str) -> BranchInfo:
        owner, repo = split_name(full_name)
        data = await self._get(
            "/repos/{owner}/{repo}/branches/{+branch}",
            owner=owner,
            repo=repo,
            branch=_checked(branch),
        )
        return msgspec.convert(data, BranchInfo)

    async def get_commit(self, full_name: str, ref: str) -> CommitInfo:
        owner, repo = split_name(full_name)
        data = await self._get(
            "/repos/{owner}/{repo}/commits/{+ref}", owner=owner, repo=repo, ref=_checked(ref)
        )
        return msgspec.convert(data, CommitInfo)

    async def snapshot(self, full_name: str) -> RepoSnapshot:
        """Metadata and the HEAD commit of the default branch: what a sync job stores."""
        repo = await self.get_repo(full_name)
        branch = await self.get_branch(full_name, repo.default_branch)
        return RepoSnapshot(repo=repo, head_sha=branch.sha)

    async def get_user(self) -> GitHubUser:
        """The user the token belongs to."""
        return msgspec.convert(await self._get("/user"), GitHubUser)

    async def branch_sha(self, full_name: str, branch: str) -> str | None:
        owner, repo = split_name(full_name)
        try:
            data = await self._get(
                "/repos/{owner}/{repo}/git/ref/heads/{+branch}",
                owner=owner,
                repo=repo,
                branch=_checked(branch),
            )
        except NotFound:
            return None
        return str(data["object"]["sha"])

    async def ensure_branch(self, full_name: str, branch: str, from_sha: str) -> str:
        """Create `branch` at `from_sha` unless it exists; return the sha it points at."""
        owner, repo = split_name(full_name)
        try:
            await self._call(
                self._gh.post(
                    "/repos/{owner}/{repo}/git/refs",
                    {"owner": owner, "repo": repo},
                    data={"ref": f"refs/heads/{_checked(branch)}", "sha": from_sha},
                )
            )
            return from_sha
        except Invalid:
            existing = await self.branch_sha(full_name, branch)
            if existing is None:
                raise
            return existing

    async def get_file(self, full_name: str, path: str, ref: str) -> FileContent | None:
        owner, repo = split_name(full_name)
        try:
            data = await self._get(
                "/repos/{owner}/{repo}/contents/{+path}{?ref}",
                owner=owner,
                repo=repo,
                path=_checked(path),
                ref=_checked(ref),
            )
        except NotFound:
            return None
        if not isinstance(data, dict) or data.get("type") != "file":
            raise Invalid(f"{path} is not a file in {full_name}")
        content = base64.b64decode(data.get("content", ""))
        return FileContent(path=data["path"], sha=data["sha"], content=content)

    async def commit_file(
        self, full_name: str, path: str, content: bytes, *, message: str, branch: str
    ) -> str | None:
        """Create or update `path` on `branch`; the new commit sha, or None if unchanged."""
        owner, repo = split_name(full_name)
        existing = await self.get_file(full_name, path, branch)
        if existing is not None and existing.content == content:
            return None
        body: dict[str, str] = {
            "message": message,
            "content": base64.b64encode(content).decode(),
            "branch": branch,
        }
        if existing is not None:
            body["sha"] = existing.sha
        data = await self._call(
            self._gh.put(
                "/repos/{owner}/{repo}/contents/{+path}",
                {"owner": owner, "repo": repo, "path": _checked(path)},
                data=body,
            )
        )
        return str(data["commit"]["sha"])

    async def open_pull_request(
        self, full_name: str, *, head: str, base: str, title: str, body: str
    ) -> PullRequest:
        """Open a pull request from `head` into `base`, or return the one already open."""
        owner, repo = split_name(full_name)
        try:
            data = await self._call(
                self._gh.post(
                    "/repos/{owner}/{repo}/pulls",
                    {"owner": owner, "repo": repo},
                    data={"title": title, "head": head, "base": base, "body": body},
                )
            )
        except Invalid as exc:
            if "already exists" not in exc.message:
                raise
            found = await self._get(
                "/repos/{owner}/{repo}/pulls{?head,base,state}",
                owner=owner,
                repo=repo,
                head=f"{owner}:{head}",
                base=base,
                state="open",
            )
            if not found:
                raise
            data = found[0]
        return msgspec.convert(data, PullRequest)

    async def ensure_webhook(
        self,
        full_name: str,
        *,
        url: str,
        secret: str,
        events: tuple[str, ...] = WEBHOOK_EVENTS,
    ) -> Hook:
        """The repository webhook delivering `events` to `url`, created or updated in place."""
        owner, repo = split_name(full_name)
        config = {"url": url, "content_type": "json", "secret": secret, "insecure_ssl": "0"}
        hooks_url = "/repos/{owner}/{repo}/hooks"
        names = {"owner": owner, "repo": repo}
        hooks = await self._call(_collect(self._gh.getiter(hooks_url, names)))
        existing = [
            h for h in hooks if isinstance(h, dict) and h.get("config", {}).get("url") == url
        ]
        payload = {"active": True, "events": list(events), "config": config}
        if existing:
            request = self._gh.patch(
                hooks_url + "/{hook_id}", {**names, "hook_id": str(existing[0]["id"])}, data=payload
            )
        else:
            request = self._gh.post(hooks_url, names, data={"name": "web", **payload})
        return msgspec.convert(await self._call(request), Hook)

    async def delete_webhook(self, full_name: str, hook_id: int) -> None:
        owner, repo = split_name(full_name)
        try:
            await self._call(
                self._gh.delete(
                    "/repos/{owner}/{repo}/hooks/{hook_id}",
                    {"owner": owner, "repo": repo, "hook_id": str(hook_id)},
                )
            )
        except NotFound:
            pass

    async def download_tarball(
        self, full_name: str, ref: str, dest: Path, *, max_bytes: int, timeout_s: float = 300.0
    ) -> int:
        """Stream the repository at `ref` as a .tar.gz into `dest`; the bytes written.

        GitHub answers with a redirect to a short-lived download URL on another host,
        which is fetched without our token. Over `max_bytes` the file is removed and
        ArchiveError raised.
        """
        owner, repo = split_name(full_name)
        url = sansio.format_url(
            "/repos/{owner}/{repo}/tarball/{+ref}",
            {"owner": owner, "repo": repo, "ref": _checked(ref)},
            base_url=self.api_url,
        )
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        base = sansio.create_headers(REQUESTER, oauth_token=self._token)
        try:
            headers = await self._gh.auth_headers(base)
            async with self._session.get(
                url, headers=headers, allow_redirects=False, timeout=timeout
            ) as first:
                refused = first.status == 401 and self._gh.renew(headers)
                if not refused:
                    return await self._save(first, headers, dest, max_bytes, timeout)
            headers = await self._gh.auth_headers(base)
            async with self._session.get(
                url, headers=headers, allow_redirects=False, timeout=timeout
            ) as second:
                return await self._save(second, headers, dest, max_bytes, timeout)
        except (aiohttp.ClientError, TimeoutError) as exc:
            dest.unlink(missing_ok=True)
            raise Transient(f"downloading {full_name} failed ({type(exc).__name__})") from exc

    async def _save(
        self,
        response: aiohttp.ClientResponse,
        headers: dict[str, str],
        dest: Path,
        max_bytes: int,
        timeout: aiohttp.ClientTimeout,
    ) -> int:
        """The archive of a tarball answer: itself, or where its redirect points."""
        if response.status in (301, 302, 303, 307, 308):
            location = response.headers.get("Location", "")
            same_host = urlsplit(location).netloc == urlsplit(self.api_url).netloc
            follow = headers if same_host else {"user-agent": REQUESTER}
            async with self._session.get(location, headers=follow, timeout=timeout) as archive:
                return await save_archive(archive, dest, max_bytes)
        return await save_archive(response, dest, max_bytes)

    async def fetch_tree(
        self,
        full_name: str,
        ref: str,
        dest: Path,
        *,
        max_download_bytes: int,
        limits: ExtractLimits,
    ) -> ExtractStats:
        """The repository at `ref` extracted into `dest` (which must not exist or be empty).

        The archive is downloaded beside `dest`, checked and extracted in a thread (so the
        event loop keeps serving other jobs), and removed. Raises ArchiveError when it is
        too large or unsafe, and the other GitHubErrors for GitHub's answers.
        """
        archive = dest.with_name(dest.name + ".tar.gz")
        try:
            await self.download_tarball(full_name, ref, archive, max_bytes=max_download_bytes)
            return await asyncio.to_thread(safe_extract, archive, dest, limits)
        finally:
            archive.unlink(missing_ok=True)


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]
