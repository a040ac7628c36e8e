from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TypeVar

import strawberry
from pydantic import BaseModel

from yourmusic.context import Context
from yourmusic.validation import NO_NAMES, Submitted, row_id

Info = strawberry.Info[Context, None]
M = TypeVar("M", bound=BaseModel)


def submitted(model: type[M], value: object, names: Mapping[str, str] = NO_NAMES) -> Submitted[M]:
    """A Strawberry input (its Python field names are the domain's) as the domain input `model`, unsent
    fields left out; `names`: what the 422 calls fields named otherwise in the domain."""
    data = strawberry.asdict(value)  # type: ignore[call-overload]
    return Submitted(model, {k: v for k, v in data.items() if v is not strawberry.UNSET}, names)


def entity_id(value: strawberry.ID) -> uuid.UUID:
    """An `ID` argument as the domain's UUID (a malformed one names no row: NOT_FOUND further down)."""
    return row_id(str(value))

