"""The contract's JSON shapes for YourMusic's own objects (snake_case keys, ISO 8601 UTC times).

Each model both serialises responses and documents them in /openapi.json: one description.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from yourmusic.pagination import Page

T = TypeVar("T", bound=BaseModel)


class Shape(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def dump(cls, obj: Any) -> dict[str, Any]:
        return cls.model_validate(obj).model_dump(mode="json", by_alias=True)


class UserOut(Shape):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    date_of_birth: date
    status: str = Field(json_schema_extra={"enum": ["SUBSCRIBED", "UNSUBSCRIBED", "PAST_DUE"]})
    subscription_ends_at: datetime | None
    pm_type: str | None
    pm_last_four: str | None
    created_at: datetime
    updated_at: datetime


class HeartbeatOut(Shape):
    time: str = Field(examples=["2025-11-01T09:37:15+00:00"])


class ClientTokenOut(Shape):
    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int


class DelegationTokenOut(Shape):
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(examples=[600])
    token: str


class PageLinks(BaseModel):
    first: str
    last: str
    prev: str | None
    next: str | None


class PageMetaOut(BaseModel):
    current_page: int
    from_: int | None = Field(alias="from")
    last_page: int
    path: str
    per_page: int
    to: int | None
    total: int


class Paginator(BaseModel, Generic[T]):
    """Laravel's paginator."""

    data: list[T]
    links: PageLinks
    meta: PageMetaOut


def paginator(request: Request, page: Page[Any], shape: type[Shape]) -> dict[str, Any]:
    path = str(request.url.replace(query=""))

    def link(n: int) -> str:
        return str(request.url.include_query_params(page=n, per_page=page.per_page))

    return {
        "data": [shape.dump(item) for item in page.items],
        "links": {
            "first": link(1),
            "last": link(page.last_page),
            "prev": link(page.page - 1) if page.page > 1 else None,
            "next": link(page.page + 1) if page.page < page.last_page else None,
        },
        "meta": {
            "current_page": page.page,
            "from": page.first_index,
            "last_page": page.last_page,
            "path": path,
            "per_page": page.per_page,
            "to": page.last_index,
            "total": page.total,
        },
    }
