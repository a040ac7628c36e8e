"""The base of domain values read from rows: the one shape each entity's answers map from."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class RowValue(BaseModel):
    """A frozen pydantic value built from a Tortoise row's attributes (`Value.of(row)`).

    Subclasses declare the fields they carry; REST derives its shapes from them (`contract_shape`) and
    GraphQL types map from them, so no transport reads a row directly.
    """

    model_config = ConfigDict(from_attributes=True, frozen=True)

    @classmethod
    def of(cls, row: Any) -> Self:
        """The value of `row` (a model instance, or anything with the same attributes); raises pydantic's
        ValidationError only on a programming error (a row missing a declared field)."""
        return cls.model_validate(row)
