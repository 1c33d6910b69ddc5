"""msgspec types shared by services: what the API returns and what rows become."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

Provider = Literal["github", "git", "local"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
# The kinds of job, each with its own queue (libs.common.redis.queue).
JobKind = Literal["sync", "analysis", "ci_generation"]
KINDS: tuple[JobKind, ...] = ("sync", "analysis", "ci_generation")
Role = Literal["owner", "admin", "member"]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling, and in which organization."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role
    token_id: uuid.UUID | None = None


class Repository(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organization_id: uuid.UUID
    provider: Provider
    full_name: str
    clone_url: str
    default_branch: str | None
    last_commit: str | None
    last_synced_at: dt.datetime | None
    visibility: str | None
    topics: list[str]
    webhook_id: int | None
    created_by: uuid.UUID | None = None  # whose GitHub token reads it, whose quota it spends
    created_at: dt.datetime
    installation_id: int | None = None  # the GitHub App installation that reads it, if any
    badge_public: bool = False  # /badge/{owner}/{repo}.svg answers for it


class Job(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organization_id: uuid.UUID
    repository_id: uuid.UUID | None
    kind: JobKind
    commit_sha: str | None
    status: JobStatus
    attempts: int
    trigger: str
    requested_by: uuid.UUID | None
    params: dict[str, object]
    result: dict[str, object] | None
    error: str | None
    error_type: str | None
    dedup_key: str
    trace_id: str | None
    trace_context: dict[str, str]
    created_at: dt.datetime
    enqueued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """The token counts of one call; `total` includes thinking tokens."""

    prompt: int = 0
    output: int = 0
    thinking: int = 0
    total: int = 0


class TokenInfo(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


# Request bodies: bounded, validated at the door.
_PORT = r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
# What libs.common.repourl accepts, said as a pattern so the API document says it too: a
# host name, a port that is one, and path segments, none of them `.` or `..`.
# `(?!\n)`: Python's `$` also matches before a final newline; JSON Schema's does not.
HTTPS_URL_PATTERN = (
    r"^(?!.*/\.\.?(?:/|$))https://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
    + _PORT
    + r"(?:/[A-Za-z0-9._~%+-]+)+/?$(?!\n)"
)
HttpsUrl = Annotated[str, msgspec.Meta(min_length=9, max_length=2048, pattern=HTTPS_URL_PATTERN)]
LocalPath = Annotated[str, msgspec.Meta(min_length=1, max_length=4096, pattern=r"^/")]
GithubName = Annotated[
    str, msgspec.Meta(max_length=200, pattern=r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$(?!\n)")
]


class RepoCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Exactly one of `url` (an https git URL), `path` (a local checkout) or `github`."""

    url: HttpsUrl | None = None
    path: LocalPath | None = None
    github: GithubName | None = None


# The body as the API documents it: "exactly one" is the document's to say too, or a
# client built from it would send two and be refused.
RepoCreateBody = Annotated[
    RepoCreate,
    msgspec.Meta(
        extra_json_schema={
            "oneOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("url", "path", "github")
            ]
        }
    ),
]
