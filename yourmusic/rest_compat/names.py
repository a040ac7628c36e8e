"""The contract's names for domain fields it names otherwise, and REST inputs derived from domain inputs.

The domain says `name` and `position`; the REST contract says `playlist_name` and `order`. Each map here is
`{domain field: contract field}`, the one place a domain's fields are renamed. REST reads and documents
its bodies through `contract_input` (the domain input under the contract's names: one definition of
every rule); GraphQL hands the same maps to `Submitted`, because GraphQL validation errors carry the REST
field names (README, "Errors"). `contract_shape` does the same for answers: the domain's value shape
under the contract's names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, create_model

from yourmusic.rest_compat.shapes import Shape
from yourmusic.validation import NO_NAMES

M = TypeVar("M", bound=BaseModel)

PLAYLIST: Mapping[str, str] = {"name": "playlist_name"}
PLAYLIST_ENTRY: Mapping[str, str] = {"position": "order"}
DEVICE: Mapping[str, str] = {"device_id": "deviceId"}  # the reference's spelling of #4's body
# The catalog's query parameters keep the aggregator's spelling (the contract passes its API through).
CATALOG: Mapping[str, str] = {
    "page_size": "pageSize", "image_size": "imageSize", "usage_types": "usageTypes",
    "exclude_explicit_content": "excludeExplicitContent", "artist_id": "artistId", "show_errors": "showErrors",
    "release_ids": "releaseids", "track_ids": "trackids",
}


def contract_input(model: type[M], title: str, names: Mapping[str, str]) -> type[M]:
    """A subclass of the domain input `model` reading (and documenting, as the component `title`) the
    fields of `names` (those `model` has) under the contract's names; what it validates is a `model`,
    errors name the contract's fields."""
    fields: dict[str, Any] = {}
    for domain, contract in names.items():
        if domain not in model.model_fields:
            continue
        info = model.model_fields[domain]
        annotated = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation  # type: ignore[valid-type]
        if info.is_required():
            fields[domain] = (annotated, Field(alias=contract, description=info.description))
        else:
            fields[domain] = (annotated, Field(default=info.default, alias=contract, description=info.description))
    return create_model(title, __base__=model, __doc__=model.__doc__, **fields)


def contract_shape(model: type[BaseModel], title: str, names: Mapping[str, str] = NO_NAMES,
                   omit: tuple[str, ...] = (), nested: Mapping[str, Any] = NO_NAMES) -> type[Shape]:
    """The contract's JSON shape (a `Shape`, documented as the component `title`) of the domain value
    `model`: the same fields (descriptions and examples too), those of `names` under the contract's
    names, those of `omit` left out, those of `nested` (a row the value holds) as the shape given there.
    Every field is required: an answer always carries them all, defaults included."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in omit:
            continue
        fields[name] = (nested.get(name, info.annotation),
                        Field(..., serialization_alias=names.get(name), description=info.description,
                              examples=info.examples))
    return create_model(title, __base__=Shape, __doc__=model.__doc__, **fields)
