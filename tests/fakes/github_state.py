"""What the fake GitHub knows: users, tokens, repositories with commits, hooks and pulls."""

from __future__ import annotations

import hashlib
import io
import itertools
import secrets
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Access = Literal["pull", "push", "admin"]
_ids = itertools.count(1000)


@dataclass
class FakeUser:
    login: str
    id: int = field(default_factory=lambda: next(_ids))
    name: str | None = None
    email: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "avatar_url": f"https://avatars.example/{self.login}",
            "type": "User",
        }


@dataclass
class Commit:
    sha: str
    files: dict[str, bytes]
    message: str
    parents: list[str]
    date: float = field(default_factory=time.time)


@dataclass
class FakeRepo:
    owner: str
    name: str
    id: int = field(default_factory=lambda: next(_ids))
    default_branch: str = "main"
    private: bool = False
    topics: list[str] = field(default_factory=list)
    access: dict[str, Access] = field(default_factory=dict)  # login -> permission
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # branch -> sha
    hooks: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    tarballs: dict[str, bytes] = field(default_factory=dict)  # sha -> raw archive override
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    code_scanning: bool = False  # Advanced Security on: SARIF uploads are accepted
    sarifs: list[dict[str, Any]] = field(default_factory=list)  # decoded uploads
    # What the API checks read (tests/fakes/github_repo_api.py).
    protection: dict[str, Any] | None = None  # branch protection of the default branch
    rules: list[dict[str, Any]] = field(default_factory=list)  # active ruleset rules
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> statuses
    releases: list[dict[str, Any]] = field(default_factory=list)
    dependabot_alerts: bool = False
    dependabot_security_updates: bool = False
    private_vulnerability_reporting: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def permission(self, login: str | None) -> dict[str, bool]:
        level = self.access.get(login or "")
        if level is None and login == self.owner:
            level = "admin"
        ranks = {"pull": 1, "push": 2, "admin": 3}
        rank = ranks[level] if level else (1 if not self.private else 0)
        return {"pull": rank >= 1, "push": rank >= 2, "admin": rank >= 3}

    def commit(
        self,
        files: Mapping[str, str | bytes],
        *,
        branch: str | None = None,
        message: str = "commit",
    ) -> str:
        """Add a commit with `files` (the whole tree) on `branch`; returns its sha."""
        branch = branch or self.default_branch
        tree = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
        parent = self.branches.get(branch)
        seed = repr((sorted(tree.items()), parent, message, time.time_ns())).encode()
        sha = hashlib.sha1(seed, usedforsecurity=False).hexdigest()
        self.commits[sha] = Commit(sha, tree, message, [parent] if parent else [])
        self.branches[branch] = sha
        return sha

    def resolve(self, ref: str) -> Commit | None:
        if ref in self.branches:
            return self.commits[self.branches[ref]]
        if ref.startswith("heads/"):
            return self.resolve(ref.removeprefix("heads/"))
        matches = [c for sha, c in self.commits.items() if sha.startswith(ref) and len(ref) >= 7]
        return matches[0] if len(matches) == 1 else None

    def tarball(self, sha: str) -> bytes:
        if sha in self.tarballs:
            return self.tarballs[sha]
        top = f"{self.owner}-{self.name}-{sha[:7]}"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            folder = tarfile.TarInfo(top)
            folder.type = tarfile.DIRTYPE
            folder.mode = 0o755
            tar.addfile(folder)
            for path, content in sorted(self.commits[sha].files.items()):
                info = tarfile.TarInfo(f"{top}/{path}")
                info.size = len(content)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(content))
        return buffer.getvalue()

    def as_json(self, base: str, login: str | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "full_name": self.full_name,
            "owner": {"login": self.owner},
            "private": self.private,
            "visibility": "private" if self.private else "public",
            "default_branch": self.default_branch,
            "topics": self.topics,
            "archived": False,
            "clone_url": f"{base}/{self.full_name}.git",
            "html_url": f"{base}/{self.full_name}",
            "permissions": self.permission(login),
        }


@dataclass
class OAuthGrant:
    client_id: str
    redirect_uri: str
    challenge: str | None
    user: FakeUser
    used: bool = False


@dataclass
class Fault:
    """Answer the next `times` requests matching method and path prefix with this."""

    method: str
    path_prefix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted failure"
    times: int = 1


@dataclass
class Recorded:
    method: str
    path: str
    login: str | None
    authorization: str | None
    body: Any = None


def new_token(prefix: str = "gho_") -> str:
    return prefix + secrets.token_hex(18)
