"""Paging every list the same way: `?limit=` and `?cursor=` in, `next_cursor` in the body
and a `Link: <...>; rel="next"` header out (both absent on the last page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import msgspec
from aiohttp import web

from libs.common.db.paging import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, Page, Position
from services.api.http.body import decode_query, json_response, query_error
from services.api.views import ListOf

T = TypeVar("T")
Q = TypeVar("Q", bound="PageQuery")

DESCRIPTION = (
    "Paged: `limit` items at most (default 50, at most 100); when there are more, the "
    'body\'s `next_cursor` and a `Link: <...>; rel="next"` header give the next page.'
)
LINK_HEADER = {"Link": 'The next page, as `<url>; rel="next"`; absent on the last page.'}


class PageQuery(msgspec.Struct, kw_only=True):
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_LIMIT, description="Items per page (at most 100).")
    ] = DEFAULT_LIMIT
    cursor: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=CURSOR_PATTERN,
                description="The `next_cursor` of the previous page; omit for the first.",
            ),
        ]
        | None
    ) = None

    def after(self) -> Position | None:
        if self.cursor is None:
            return None
        try:
            return Position.from_cursor(self.cursor)
        except ValueError:
            raise query_error("cursor", "not a cursor this API gave") from None


def page_query(request: web.Request, type_: type[Q]) -> tuple[Q, Position | None]:
    query = decode_query(request, type_)
    return query, query.after()


def page_response(
    request: web.Request, page: Page[T], view: Callable[[T], object] | None = None
) -> web.Response:
    next_cursor = page.next.cursor() if page.next else None
    items: list[object] = [view(i) for i in page.items] if view else list(page.items)
    response = json_response(ListOf[object](items=items, next_cursor=next_cursor))
    if next_cursor is not None:
        url = request.rel_url.update_query(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response
