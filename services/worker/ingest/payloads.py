"""The parts of GitHub webhook payloads we act on, as msgspec types (the rest is skipped)."""

from __future__ import annotations

import msgspec


class GithubRepo(msgspec.Struct, kw_only=True):
    id: int
    full_name: str
    default_branch: str | None = None
    clone_url: str | None = None
    private: bool | None = None
    visibility: str | None = None
    topics: list[str] | None = None

    @property
    def effective_visibility(self) -> str | None:
        if self.visibility:
            return self.visibility
        return None if self.private is None else ("private" if self.private else "public")


class Account(msgspec.Struct, kw_only=True):
    login: str
    type: str | None = None


class PushEvent(msgspec.Struct, kw_only=True):
    ref: str
    after: str
    deleted: bool = False
    repository: GithubRepo


class PullRef(msgspec.Struct, kw_only=True):
    sha: str
    ref: str


class PullRequest(msgspec.Struct, kw_only=True):
    number: int
    head: PullRef


class PullRequestEvent(msgspec.Struct, kw_only=True):
    action: str
    number: int
    pull_request: PullRequest
    repository: GithubRepo


class PingEvent(msgspec.Struct, kw_only=True):
    hook_id: int | None = None
    repository: GithubRepo | None = None


class From(msgspec.Struct, kw_only=True):
    from_: str | None = msgspec.field(default=None, name="from")


class OwnerFrom(msgspec.Struct, kw_only=True):
    user: Account | None = None
    organization: Account | None = None


class OwnerChange(msgspec.Struct, kw_only=True):
    from_: OwnerFrom | None = msgspec.field(default=None, name="from")


class RepoChanges(msgspec.Struct, kw_only=True):
    name: From | None = None


class Changes(msgspec.Struct, kw_only=True):
    repository: RepoChanges | None = None
    owner: OwnerChange | None = None


class RepositoryEvent(msgspec.Struct, kw_only=True):
    action: str
    repository: GithubRepo
    changes: Changes | None = None

    def previous_full_name(self) -> str:
        """The name before a rename or transfer (for rows registered by URL, without id)."""
        owner, _, name = self.repository.full_name.partition("/")
        changes = self.changes or Changes()
        if changes.repository and changes.repository.name and changes.repository.name.from_:
            name = changes.repository.name.from_
        if changes.owner and changes.owner.from_:
            account = changes.owner.from_.user or changes.owner.from_.organization
            if account is not None:
                owner = account.login
        return f"{owner}/{name}"


class Installation(msgspec.Struct, kw_only=True):
    id: int
    account: Account | None = None


class RepoName(msgspec.Struct, kw_only=True):
    full_name: str
    id: int | None = None


class Sender(msgspec.Struct, kw_only=True):
    login: str
    id: int | None = None


class InstallationEvent(msgspec.Struct, kw_only=True):
    action: str
    installation: Installation
    repositories: list[RepoName] | None = None
    repositories_added: list[RepoName] = []
    repositories_removed: list[RepoName] = []
    # installation_target events name the renamed account here.
    account: Account | None = None
    sender: Sender | None = None  # who installed the app or changed its repositories
