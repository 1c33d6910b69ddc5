"""Fetching a repository's tree at one commit, from GitHub, any https git server, or disk.

Whatever the source, the tree arrives as a tar archive and goes through the same safe
extraction (no absolute paths, no `..`, no links out of the tree, size and file caps):
GitHub's tarball endpoint, or `git archive` of a shallow fetch / a local repository. The
extracted tree is kept a while (trees.py), so the jobs of one commit download and
extract it once.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import aiohttp
from opentelemetry import trace

from libs.common.config import Settings
from libs.common.schemas import Repository
from libs.github.client import GitHubClient
from libs.github.errors import (
    ArchiveError,
    Forbidden,
    GitHubError,
    Invalid,
    NotFound,
    NotInstalled,
    RateLimited,
)
from libs.github.tarball import ExtractLimits, ExtractStats, safe_extract
from services.worker import gitops
from services.worker.errors import PermanentJobError, TransientJobError
from services.worker.trees import TreeCache

tracer = trace.get_tracer("autodevops.worker.fetch")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def github_error(exc: GitHubError) -> Exception:
    """GitHub's answer as the job error it means: retry later, or fail with the reason."""
    if isinstance(exc, RateLimited):
        return TransientJobError(str(exc), "github_rate_limited", retry_after=exc.retry_after)
    if isinstance(exc, NotInstalled):
        return PermanentJobError(str(exc), "not_installed")
    if isinstance(exc, NotFound):
        return PermanentJobError(f"not found on GitHub: {exc}", "repository_not_found")
    if isinstance(exc, Forbidden):
        return PermanentJobError(f"GitHub refused access: {exc}", "forbidden")
    if isinstance(exc, ArchiveError):
        return PermanentJobError(str(exc), "archive_refused")
    if isinstance(exc, Invalid):
        return PermanentJobError(str(exc), "github_invalid")
    return TransientJobError(str(exc), "github_unavailable")


async def fetch_tree(
    settings: Settings,
    session: aiohttp.ClientSession,
    repo: Repository,
    commit: str,
    dest: Path,
    *,
    token: str | None,
    trees: TreeCache,
    client: GitHubClient | None = None,
) -> ExtractStats:
    """`repo` at `commit` in `dest` (a new directory), linked from the tree kept in `trees`
    when a job fetched it a moment ago; a GitHub repository through `client` when given
    (an installation's, whose token renews itself), else with `token`."""
    with tracer.start_as_current_span(
        "fetch", attributes={"vcs.provider": repo.provider, "vcs.commit": commit}
    ):
        if not _SHA.match(commit):
            raise PermanentJobError(f"not a full commit sha: {commit!r}", "bad_commit")
        limits = ExtractLimits(max_files=settings.repo_max_files, max_bytes=settings.repo_max_bytes)
        if repo.provider == "github":
            reader = client or GitHubClient(session, token=token, api_url=settings.github_api_url)

            async def download(scratch: Path, tree: Path) -> ExtractStats:
                archive, max_bytes = scratch / "archive.tar.gz", settings.repo_download_max_bytes
                await reader.download_tarball(repo.full_name, commit, archive, max_bytes=max_bytes)
                return await asyncio.to_thread(safe_extract, archive, tree, limits)

            try:
                return await trees.link(repo.id, commit, dest, download)
            except GitHubError as exc:
                raise github_error(exc) from exc
        if repo.provider == "local" and not settings.allow_local_repos:
            raise PermanentJobError("local repositories are disabled on this worker", "forbidden")
        await gitops.check_public_host(settings, repo)

        async def git_archive(scratch: Path, tree: Path) -> ExtractStats:
            archive = scratch / "archive.tar"
            if repo.provider == "local":
                await _archive(repo.clone_url, commit, archive, settings, local=True)
            else:
                await _shallow_fetch_archive(repo.clone_url, commit, archive, settings)
            return await asyncio.to_thread(safe_extract, archive, tree, limits, strip_top=False)

        try:
            return await trees.link(repo.id, commit, dest, git_archive)
        except ArchiveError as exc:
            raise PermanentJobError(str(exc), "archive_refused") from exc


async def _shallow_fetch_archive(
    url: str, commit: str, archive: Path, settings: Settings, *, allow_file: bool = False
) -> None:
    """`git fetch --depth 1` of exactly `commit` into a scratch repository, then archive it.

    Only https is allowed; `allow_file` exists so tests can serve a repository from disk.
    """
    gitdir = archive.with_suffix(".git")
    timeout = max(settings.analysis_timeout_seconds / 3, 10)
    try:
        await _git_ok([*gitops.git_base_args(False), "init", "-q", "--bare", str(gitdir)], 10)
        code, _, err = await gitops.run_git(
            [
                *gitops.git_base_args(allow_file),
                "--git-dir",
                str(gitdir),
                "fetch",
                "-q",
                "--depth",
                "1",
                "--",
                url,
                commit,
            ],
            timeout,
        )
        if code != 0:
            message = gitops.last_line(err)
            if "not our ref" in err or "couldn't find remote ref" in err.lower():
                raise PermanentJobError(f"commit {commit} is not in the repository", "bad_commit")
            if gitops.looks_missing(err):
                raise PermanentJobError(
                    f"repository not found or not readable: {message}", "repository_not_found"
                )
            raise TransientJobError(f"could not fetch the repository: {message}", "unreachable")
        await _archive(str(gitdir), commit, archive, settings, local=False, bare=True)
    finally:
        await asyncio.to_thread(_remove, gitdir)


async def _archive(
    repo_path: str,
    commit: str,
    archive: Path,
    settings: Settings,
    *,
    local: bool,
    bare: bool = False,
) -> None:
    where = ["--git-dir", repo_path] if bare else ["-C", repo_path]
    code, _, err = await gitops.run_git(
        [
            *gitops.git_base_args(local),
            *where,
            "archive",
            "--format=tar",
            "-o",
            str(archive),
            commit,
        ],
        max(settings.analysis_timeout_seconds / 3, 10),
    )
    if code != 0:
        message = gitops.last_line(err)
        if "not a valid object name" in err or "not a tree object" in err:
            raise PermanentJobError(f"commit {commit} is not in the repository", "bad_commit")
        if gitops.looks_missing(err):
            raise PermanentJobError(
                f"repository not found or not readable: {message}", "repository_not_found"
            )
        raise TransientJobError(f"could not read the repository: {message}", "unreachable")


async def _git_ok(args: list[str], timeout: float) -> None:
    code, _, err = await gitops.run_git(args, timeout)
    if code != 0:
        raise TransientJobError(f"git failed: {gitops.last_line(err)}", "git_error")


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
