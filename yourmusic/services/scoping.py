"""The one place tenant scoping happens: another tenant's id is simply not found."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError
from tortoise.models import Model
from tortoise.queryset import QuerySet

from yourmusic.errors import NotFound
from yourmusic.validation import ClientId, Slug, Storable
from yourmusic.validation import parse_id as parse_id  # the one UUID parser, re-exported for the services

M = TypeVar("M", bound=Model)
K = TypeVar("K")


class KeyParser(Generic[K]):
    """Parses a path or argument key of one shared input type (`validation.Slug`, ...) as it is stored.

    A value that cannot be one (a NUL character, longer than its column, another alphabet) can name no
    row: the parser answers None, which the caller turns into the usual 404 (not a 422, never a 500 from
    the database)."""

    def __init__(self, kind: Any) -> None:
        self._adapter: TypeAdapter[K] = TypeAdapter(Annotated[kind, Storable])

    def __call__(self, value: Any) -> K | None:
        if not isinstance(value, str):
            return None
        try:
            return self._adapter.validate_python(value)
        except ValidationError:
            return None


parse_slug: KeyParser[str] = KeyParser(Slug)
parse_client_id: KeyParser[str] = KeyParser(ClientId)


def of_tenant(model: type[M], tenant_id: uuid.UUID) -> QuerySet[M]:
    return model.filter(tenant_id=tenant_id)


async def get_of_tenant(model: type[M], tenant_id: uuid.UUID, object_id: uuid.UUID, *, what: str) -> M:
    """The row with this id in this tenant, or NOT_FOUND (also for ids of other tenants)."""
    row = await of_tenant(model, tenant_id).get_or_none(id=object_id)
    if row is None:
        raise NotFound(f"{what} not found.")
    return row
