"""REST's opt-in keyset pagination (an extension of the contract; without `cursor` nothing changes).

`?cursor=` (empty: from the start, then each answer's `meta.next_cursor`) with `per_page` answers a
cursor page in the shape of Laravel's cursor paginator resources: `data`, `links` (`prev` null, `next`
the URL of the next page or null at the end) and `meta` (`path`, `per_page`, `next_cursor`,
`prev_cursor`). It has no total: counting is what a deep walk must not pay for. Its media type is
`CURSOR_PAGE` (JSON), so the contract documents both answers of a list without changing the first.
A cursor is opaque and valid only for the list (and tenant, caller, keyword) that issued it: anything
else is a 422 on `cursor`.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from yourmusic.pagination import CursorPage
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.rest_compat.shapes import Shape
from yourmusic.validation import Input

T = TypeVar("T")

CURSOR_PAGE = "application/vnd.yourmusic.cursor-page+json"
CURSOR_DESCRIPTION = ("Opt-in keyset pagination (an extension): empty for the first page, then the previous "
                      f"answer's `meta.next_cursor`. The answer is then a cursor page (`{CURSOR_PAGE}`): no "
                      "total, the same cost at any depth, every item once in a walk even while items are added.")


class WithCursor(Input):
    """The `cursor` query parameter, for a list's documented query."""

    cursor: str | None = Field(default=None, max_length=512, description=CURSOR_DESCRIPTION)


class CursorLinks(BaseModel):
    prev: None = Field(default=None, description="Always null: walks go forward only.")
    next: str | None = Field(description="The URL of the next page (this one's query with `cursor` set), null at "
                                         "the end.")


class CursorMetaOut(BaseModel):
    path: str = Field(description="This list's URL, without the query.")
    per_page: int = Field(description="Items per page asked for (1..100).")
    next_cursor: str | None = Field(description="The `cursor` of the next page (opaque), null at the end.")
    prev_cursor: None = Field(default=None, description="Always null: walks go forward only.")


class CursorPaginator(BaseModel, Generic[T]):
    """Laravel's cursor paginator resource."""

    data: list[T] = Field(description="The page's items, in the list's order.")
    links: CursorLinks = Field(description="Where the walk goes on.")
    meta: CursorMetaOut = Field(description="The page's cursors and size.")


def wants_cursor(request: Request) -> bool:
    """Did the caller opt into keyset pagination (`cursor` present, even empty)?"""
    return "cursor" in request.query_params


def cursor_response(request: Request, page: CursorPage[Any], shape: type[Shape]) -> Response:
    """The cursor page of `page`'s rows, each dumped as `shape`."""
    path = str(request.url.replace(query=""))
    following = (str(request.url.include_query_params(cursor=page.next_cursor, per_page=page.per_page))
                 if page.next_cursor else None)
    body = {
        "data": [shape.dump(item) for item in page.items],
        "links": {"prev": None, "next": following},
        "meta": {"path": path, "per_page": page.per_page, "next_cursor": page.next_cursor, "prev_cursor": None},
    }
    return JSONResponse(body, media_type=CURSOR_PAGE)
