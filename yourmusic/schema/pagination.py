from __future__ import annotations

import strawberry

from yourmusic.pagination import Page


@strawberry.type(description="Laravel paginator numbers, as REST's `meta`.")
class PageMeta:
    current_page: int
    last_page: int
    per_page: int
    total: int
    from_: int | None = strawberry.field(name="from")
    to: int | None

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
