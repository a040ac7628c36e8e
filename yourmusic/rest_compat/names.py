"""The contract's names for domain fields it names otherwise, and REST inputs derived from domain inputs.

The domain says `name` and `position`; the REST contract says `playlist_name` and `order`. Each map here is
`{domain field: contract field}`, the one place a domain's fields are renamed. REST reads and documents
its bodies through `contract_input` (the domain input under the contract's names: one definition of
every rule); GraphQL hands the same maps to `Submitted`, because GraphQL validation errors carry the REST
field names (README, "Errors").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, create_model

M = TypeVar("M", bound=BaseModel)

PLAYLIST: Mapping[str, str] = {"name": "playlist_name"}
PLAYLIST_ENTRY: Mapping[str, str] = {"position": "order", "track_ids": "tracks"}


def contract_input(model: type[M], title: str, names: Mapping[str, str]) -> type[M]:
    """A subclass of the domain input `model` reading (and documenting, as the component `title`) the
    fields of `names` under the contract's names; what it validates is a `model`, errors name the
    contract's fields."""
    fields: dict[str, Any] = {}
    for domain, contract in names.items():
        info = model.model_fields[domain]
        annotated = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation  # type: ignore[valid-type]
        if info.is_required():
            fields[domain] = (annotated, Field(alias=contract, description=info.description))
        else:
            fields[domain] = (annotated, Field(default=info.default, alias=contract, description=info.description))
    return create_model(title, __base__=model, __doc__=model.__doc__, **fields)
