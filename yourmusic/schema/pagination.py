from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from yourmusic.pagination import CursorArgs, CursorPage, Page
from yourmusic.validation import Submitted

N = TypeVar("N")


@strawberry.type(description="Laravel paginator numbers, as REST's `meta`.")
class PageMeta:
    current_page: int = strawberry.field(description="This page's 1-based number.")
    last_page: int = strawberry.field(description="The last page's number (1 when there are no items).")
    per_page: int = strawberry.field(description="Items per page (1..100).")
    total: int = strawberry.field(description="How many items all pages hold together.")
    from_: int | None = strawberry.field(name="from", description="1-based index of this page's first item; null "
                                                                  "when the page is empty.")
    to: int | None = strawberry.field(description="1-based index of this page's last item; null when the page is "
                                                  "empty.")

    @classmethod
    def of(cls, page: Page) -> PageMeta:
        return cls(
            current_page=page.page,
            last_page=page.last_page,
            per_page=page.per_page,
            total=page.total,
            from_=page.first_index,
            to=page.last_index,
        )


@strawberry.type(description="Relay connection page info (forward pagination: `first` and `after`).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(description="True when the page was asked for `after` a cursor.")
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="One item of a connection, with the cursor that resumes after it.")
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type(description="A keyset (cursor) page, Relay style: it costs the same at any depth, and a walk "
                             "with `after: pageInfo.endCursor` sees every item once even while items are added. "
                             "Cursors are opaque and valid only for the list that issued them.")
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: CursorPage[Any], node: Callable[[Any], N]) -> Connection[N]:
        """The page's rows as edges, each mapped by `node`."""
        edges = [Edge(cursor=c, node=node(item)) for item, c in zip(page.items, page.cursors)]
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=page.next_cursor is not None, has_previous_page=page.cursor is not None,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None))


First = Annotated[int, strawberry.argument(description="Items per page (1..100, default 15).")]
After = Annotated[str | None, strawberry.argument(
    description="Start after this cursor (an edge's `cursor` or `pageInfo.endCursor` of this list); none: from "
                "the start. Another list's or tenant's cursor, or an altered one: VALIDATION_FAILED.")]
CURSOR_ERRORS = "VALIDATION_FAILED (first out of 1..100, or an `after` this list did not issue)"


def cursor_args(first: int, after: str | None) -> Submitted[CursorArgs]:
    """GraphQL's `first`/`after` as the domain's keyset page (a 422 names them as GraphQL does)."""
    return Submitted(CursorArgs, {"per_page": first, "cursor": after}, CURSOR_NAMES)


CURSOR_NAMES = {"per_page": "first", "cursor": "after"}
