"""Refresh the vetted action pin table (libs/cigen/actions-pins.json) from the GitHub API.

For every action in the table: list its tags, pick the newest release tag (vX.Y.Z or
X.Y.Z, no pre-releases) and the newest tag of each of the two highest major lines, and
check through the Git database API that each SHA is a commit before accepting it (its
date is the commit date). Actions
used by branch (their "latest" is a branch name) get their branch heads re-read. An
action that cannot be read keeps its current entry; nothing is ever guessed.

    GITHUB_TOKEN=... python -m scripts.refresh_action_pins [--dry-run] [--only owner/repo]

GITHUB_API_URL points it at another API (GitHub Enterprise, or a test server).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from libs.cigen.pins import TABLE_FILE, ActionEntry, PinRef, PinTableFile, decode_table

TABLE = Path(__file__).resolve().parent.parent / "libs" / "cigen" / TABLE_FILE
_RELEASE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
MAX_PAGES = 10
SOURCE = "GitHub REST API: tags, each sha checked to be a commit with git/commits"


class RefreshError(Exception):
    """One action could not be refreshed; its entry is kept."""


class GitHub:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str | None) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "autodevops-refresh-action-pins",
        }
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    async def get(self, url: str) -> tuple[Any, aiohttp.ClientResponse]:
        async with self.session.get(url, headers=self.headers) as response:
            if response.status != 200:
                raise RefreshError(f"GET {url}: HTTP {response.status}")
            return await response.json(), response

    async def tags(self, repo: str) -> list[tuple[str, str]]:
        url: str | None = f"{self.base}/repos/{repo}/tags?per_page=100"
        found: list[tuple[str, str]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            body, response = await self.get(url)
            found += [(t["name"], t["commit"]["sha"]) for t in body]
            url = str(response.links["next"]["url"]) if "next" in response.links else None
        return found

    async def commit_date(self, repo: str, sha: str) -> str:
        """The commit's date; raises RefreshError unless `sha` names a commit object."""
        body, _ = await self.get(f"{self.base}/repos/{repo}/git/commits/{sha}")
        if body.get("sha") != sha:
            raise RefreshError(f"{repo}@{sha} is not a commit")
        return str(body["committer"]["date"])[:10]

    async def branch_head(self, repo: str, branch: str) -> str:
        body, _ = await self.get(f"{self.base}/repos/{repo}/branches/{branch}")
        return str(body["commit"]["sha"])


def _version(tag: str) -> tuple[int, int, int] | None:
    match = _RELEASE.match(tag)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


async def _ref(gh: GitHub, repo: str, tag: str, sha: str) -> PinRef:
    return PinRef(tag=tag, sha=sha, date=await gh.commit_date(repo, sha))


async def refresh_action(gh: GitHub, repo: str, entry: ActionEntry) -> ActionEntry:
    tags = await gh.tags(repo)
    releases = sorted(((v, tag, sha) for tag, sha in tags if (v := _version(tag))), reverse=True)
    majors: dict[str, PinRef] = {}
    for version, tag, sha in releases:
        line = f"v{version[0]}"
        if line not in majors and len(majors) < 2:
            majors[line] = await _ref(gh, repo, tag, sha)
    branches = {
        name: await _ref(gh, repo, name, await gh.branch_head(repo, name))
        for name in entry.branches
    }
    if _version(entry.latest.tag) is not None:
        latest = next(iter(majors.values()), None)
    else:
        # Used by branch: keep its major lines, re-reading those that are plain tags (v1).
        latest = branches.get(entry.latest.tag)
        by_name = dict(tags)
        majors = {
            line: await _ref(gh, repo, ref.tag, by_name[ref.tag]) if ref.tag in by_name else ref
            for line, ref in entry.majors.items()
        }
    if latest is None:
        raise RefreshError("no release tag found")
    return ActionEntry(latest=latest, majors=majors, branches=branches, notes=entry.notes)


async def refresh(
    table: PinTableFile, *, base_url: str, token: str | None, only: Sequence[str] = ()
) -> tuple[PinTableFile, list[str]]:
    """The refreshed table, and one line per action that could not be refreshed."""
    errors: list[str] = []
    refreshed: set[str] = set()
    actions = dict(table.actions)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        gh = GitHub(session, base_url, token)
        for repo, entry in table.actions.items():
            if only and repo not in only:
                continue
            try:
                actions[repo] = await refresh_action(gh, repo, entry)
                refreshed.add(repo)
            except (RefreshError, aiohttp.ClientError, TimeoutError, KeyError) as exc:
                errors.append(f"{repo}: kept the current entry ({exc or type(exc).__name__})")
    snapshot = {k: v for k, v in table.snapshot_newest_commit.items() if k not in refreshed}
    updated = PinTableFile(
        generated=dt.datetime.now(dt.UTC).date().isoformat(),
        source=SOURCE if not only else f"{table.source}; some entries: {SOURCE}",
        selection=table.selection,
        snapshot_newest_commit=snapshot,
        actions=actions,
    )
    return updated, errors


def encode_table(table: PinTableFile) -> bytes:
    return msgspec.json.format(msgspec.json.encode(table), indent=2) + b"\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--table", type=Path, default=TABLE, help="the pin table to refresh")
    parser.add_argument("--only", action="append", default=[], metavar="OWNER/REPO")
    parser.add_argument("--dry-run", action="store_true", help="print the changes only")
    args = parser.parse_args(argv)
    table = decode_table(args.table.read_bytes())
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    token = os.environ.get("GITHUB_TOKEN") or None
    updated, errors = asyncio.run(refresh(table, base_url=base, token=token, only=args.only))
    for repo, entry in updated.actions.items():
        old = table.actions.get(repo)
        if old is not None and old.latest != entry.latest:
            print(f"{repo}: {old.latest.tag} -> {entry.latest.tag} ({entry.latest.sha})")
    for error in errors:
        print(f"warning: {error}", file=sys.stderr)
    if not args.dry_run:
        args.table.write_bytes(encode_table(updated))
    attempted = len(args.only) if args.only else len(table.actions)
    return 1 if errors and len(errors) == attempted else 0


if __name__ == "__main__":
    sys.exit(main())
