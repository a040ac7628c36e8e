"""Offset pagination with Laravel's paginator numbers (`current_page`, `last_page`, `from`, `to`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import Field
from tortoise.queryset import QuerySet

from yourmusic.validation import Input

T = TypeVar("T")


class PageArgs(Input):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=15, ge=1, le=100)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int | None:
        return (self.page - 1) * self.per_page + 1 if self.items else None

    @property
    def last_index(self) -> int | None:
        return (self.page - 1) * self.per_page + len(self.items) if self.items else None


async def paginate(query: QuerySet[T], args: PageArgs) -> Page[T]:
    total = await query.count()
    items = await query.offset((args.page - 1) * args.per_page).limit(args.per_page)
    return Page(items=list(items), total=total, page=args.page, per_page=args.per_page)
