"""The parts of GitHub's answers we use, decoded with msgspec (unknown fields ignored)."""

from __future__ import annotations

import msgspec

WEBHOOK_EVENTS = ("push", "pull_request", "repository", "ping")


class Permissions(msgspec.Struct, frozen=True, kw_only=True):
    admin: bool = False
    push: bool = False
    pull: bool = False


class Owner(msgspec.Struct, frozen=True, kw_only=True):
    login: str


class RepoInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    full_name: str
    owner: Owner
    default_branch: str
    private: bool
    clone_url: str
    html_url: str
    visibility: str | None = None  # "public", "private", "internal"; absent on old GHE
    topics: list[str] = []
    archived: bool = False
    permissions: Permissions = Permissions()

    @property
    def effective_visibility(self) -> str:
        return self.visibility or ("private" if self.private else "public")


class BranchCommit(msgspec.Struct, frozen=True, kw_only=True):
    sha: str


class BranchInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    commit: BranchCommit
    protected: bool = False

    @property
    def sha(self) -> str:
        return self.commit.sha


class CommitDetail(msgspec.Struct, frozen=True, kw_only=True):
    message: str


class CommitInfo(msgspec.Struct, frozen=True, kw_only=True):
    sha: str
    commit: CommitDetail
    html_url: str | None = None


class RepoSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What a sync reads: the repository and the commit its default branch points at."""

    repo: RepoInfo
    head_sha: str


class FileContent(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    sha: str  # the blob sha, needed to update the file
    content: bytes


class PullRequest(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    html_url: str
    state: str


class HookConfig(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None = None
    content_type: str | None = None


class Hook(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    events: list[str] = []
    active: bool = True
    config: HookConfig = HookConfig()


class GitHubUser(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    login: str
    name: str | None = None
    email: str | None = None
    avatar_url: str | None = None


class OAuthToken(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    token_type: str = "bearer"
    scope: str = ""

    def __repr__(self) -> str:
        return f"OAuthToken(token_type={self.token_type!r}, scope={self.scope!r})"
