"""A repository's score over time, and the settings of its regression rule and badge."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

import msgspec
from aiohttp import web

from libs.common.db import score_history
from libs.common.db.score_history import HistoryEntry, RepoSettings
from services.api import registration
from services.api.http import keys
from services.api.http.body import decode, decode_query, json_response, path_uuid
from services.api.http.errors import Forbidden, NotFound, ValidationFailed
from services.api.http.spec import operation
from services.api.views import ListOf

routes = web.RouteTableDef()

Sha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{7,40}$")]
_INSTANT = (
    r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d)"
    r"(?::([0-5]\d)(?:\.\d{1,6})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
Instant = Annotated[
    str,
    msgspec.Meta(
        pattern=_INSTANT,
        description="An RFC 3339 instant with its zone, e.g. 2026-01-31T00:00Z",
    ),
]


def instant(text: str | None) -> dt.datetime | None:
    """The moment an Instant names. A day past its month's end rolls over (2026-02-30 is
    March 2nd): the pattern admits it, so the API takes it."""
    match = re.match(_INSTANT, text or "")
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    offset = dt.timedelta()
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    start = dt.datetime(
        int(year), int(month), 1, int(hour), int(minute), int(second or 0), tzinfo=dt.UTC
    )
    return start + dt.timedelta(days=int(day) - 1) - offset


class HistoryQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 50
    # The previous page's next_cursor.
    cursor: Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{0,17}$")] | None = None
    since: Instant | None = None  # entries at or after
    until: Instant | None = None  # entries before
    commit: Sha | None = None  # entries of one commit (a prefix of 7+ hex digits)


class HistoryEntryView(msgspec.Struct, kw_only=True):
    commit: str
    branch: str | None
    pull_request: int | None
    score: int
    band: str
    categories: dict[str, int | None]
    regressed: bool
    analysis_id: uuid.UUID | None
    created_at: dt.datetime

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryEntryView:
        return cls(
            commit=entry.commit_sha,
            branch=entry.branch,
            pull_request=entry.pull_request,
            score=entry.score,
            band=entry.band,
            categories=entry.categories,
            regressed=entry.regressed,
            analysis_id=entry.analysis_id,
            created_at=entry.created_at,
        )


class SettingsChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    badge_public: bool | None = None
    # Points the score may drop before a push is a regression; null: REGRESSION_MAX_DROP.
    regression_max_drop: Annotated[int, msgspec.Meta(ge=0, le=100)] | None | msgspec.UnsetType = (
        msgspec.UNSET
    )
    regression_on_critical: bool | None = None


@routes.get("/v1/repos/{id}/history")
@operation(
    "A repository's score history",
    tags=("repositories",),
    description=(
        "Each analysis's score, band and category scores, newest first, with whether it "
        "broke the regression rule. Page with `cursor` (the previous page's "
        "`next_cursor`); narrow with `since`/`until` (RFC 3339 instants with a zone) or `commit`."
    ),
    query=HistoryQuery,
    responses={200: ListOf[HistoryEntryView]},
    errors=(NotFound, ValidationFailed),
)
async def history(request: web.Request) -> web.Response:
    query = decode_query(request, HistoryQuery)
    who = keys.principal(request)
    repo = await registration.get(request.app[keys.POOL], who, path_uuid(request))
    async with request.app[keys.POOL].acquire() as conn:
        entries = await score_history.page(
            conn,
            who.organization_id,
            repo.id,
            limit=query.limit + 1,
            cursor=int(query.cursor) if query.cursor else None,
            since=instant(query.since),
            until=instant(query.until),
            commit=query.commit,
        )
    more = len(entries) > query.limit
    shown = entries[: query.limit]
    return json_response(
        ListOf(
            items=[HistoryEntryView.of(e) for e in shown],
            next_cursor=str(shown[-1].id) if more and shown else None,
        )
    )


@routes.patch("/v1/repos/{id}/settings")
@operation(
    "Change a repository's regression rule and badge",
    tags=("repositories",),
    description=(
        "`badge_public` serves /badge/{owner}/{repo}.svg (public GitHub repositories "
        "only); `regression_max_drop` (0-100, null for the platform default) and "
        "`regression_on_critical` decide when a push is a regression. Owners and admins."
    ),
    body=SettingsChange,
    responses={200: RepoSettings},
    errors=(NotFound, Forbidden, ValidationFailed),
)
async def change_settings(request: web.Request) -> web.Response:
    change = await decode(request, SettingsChange)
    who = keys.principal(request)
    if who.role not in ("owner", "admin"):
        raise Forbidden("Only owners and admins change a repository's settings.")
    max_drop = change.regression_max_drop
    async with request.app[keys.POOL].acquire() as conn:
        updated = await score_history.update_settings(
            conn,
            who.organization_id,
            path_uuid(request),
            badge_public=change.badge_public,
            regression_max_drop=max_drop if isinstance(max_drop, int) else None,
            clear_max_drop=max_drop is None,
            regression_on_critical=change.regression_on_critical,
        )
    if updated is None:
        raise NotFound("No such repository.")
    return json_response(updated)
