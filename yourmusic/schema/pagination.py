from __future__ import annotations

import strawberry

from yourmusic.pagination import Page


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
