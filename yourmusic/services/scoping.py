"""The one place tenant scoping happens: another tenant's id is simply not found."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from yourmusic.errors import NotFound

M = TypeVar("M", bound=Model)


def parse_id(value: Any) -> uuid.UUID | None:
    """A path or argument id as a UUID; anything else can name no row (404, not 422)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def of_tenant(model: type[M], tenant_id: uuid.UUID) -> QuerySet[M]:
    return model.filter(tenant_id=tenant_id)


async def get_of_tenant(model: type[M], tenant_id: uuid.UUID, object_id: uuid.UUID, *, what: str) -> M:
    """The row with this id in this tenant, or NOT_FOUND (also for ids of other tenants)."""
    row = await of_tenant(model, tenant_id).get_or_none(id=object_id)
    if row is None:
        raise NotFound(f"{what} not found.")
    return row
