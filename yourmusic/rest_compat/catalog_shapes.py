"""The catalog's JSON as the contract documents it: the aggregator's objects (7digital API 1.2 style) and
the envelopes REST passes through.

REST answers the aggregator's JSON as it came (plus `streamId` on tracks), so these models only document
it: the fields the reference names, typed, and every object open to the fields the aggregator adds
(`additionalProperties`). Generated clients get typed models and keep the rest in their extra fields.
Ids are the aggregator's: integers from the bundled sandbox, strings from some upstreams.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

AggregatorId = int | str
_OPEN = ConfigDict(extra="allow")


class CatalogPrice(BaseModel):
    """A download price in the aggregator's country (AGGREGATOR_COUNTRY)."""

    model_config = _OPEN
    formattedPrice: str | None = Field(None, description="The price for display, with its currency symbol (`$0.99`).")
    currencyCode: str | None = Field(None, description="ISO 4217 currency code (`USD`).")
    value: float | None = Field(None, description="The amount in the currency's major unit.")


class CatalogLabel(BaseModel):
    """A record label or licensor."""

    model_config = _OPEN
    id: AggregatorId = Field(description="The aggregator's id.")
    name: str | None = Field(None, description="Its name.")


class CatalogArtist(BaseModel):
    """A catalog artist, from the aggregator (a summary inside releases and tracks)."""

    model_config = _OPEN
    id: AggregatorId = Field(description="The aggregator's artist id.")
    name: str = Field(description="The artist's name.")
    appearsAs: str | None = Field(None, description="The name as credited.")
    slug: str | None = Field(None, description="URL-friendly name.")
    image: str | None = Field(None, description="Absolute URL of the artist's image (size: `imageSize`).")
    url: str | None = Field(None, description="The artist's page at the catalog's store.")
    sortName: str | None = Field(None, description="The name to sort by.")


class CatalogRelease(BaseModel):
    """A catalog release (album, single or video), from the aggregator (a summary inside tracks)."""

    model_config = _OPEN
    id: AggregatorId = Field(description="The aggregator's release id.")
    title: str = Field(description="The release's title.")
    version: str | None = Field(None, description="Version of the release (`Remastered`), often empty.")
    type: str | None = Field(None, description="`album`, `single` or `video`.")
    barcode: str | None = Field(None, description="UPC/EAN barcode.")
    year: int | None = Field(None, description="Year of release.")
    artist: CatalogArtist | None = Field(None, description="The main artist.")
    slug: str | None = Field(None, description="URL-friendly title.")
    image: str | None = Field(None, description="Absolute URL of the cover (size: `imageSize`).")
    releaseDate: str | None = Field(None, description="Release date (ISO 8601).")
    explicitContent: bool | None = Field(None, description="True when marked explicit.")
    label: CatalogLabel | None = Field(None, description="The record label.")
    licensor: CatalogLabel | None = Field(None, description="Who licenses the release.")
    trackCount: int | None = Field(None, description="Number of tracks.")
    duration: int | None = Field(None, description="Total running time in seconds.")
    usageTypes: list[str] | None = Field(None, description="How it may be used: `download`, `stream`.")
    price: CatalogPrice | None = Field(None, description="The release's download price.")
    url: str | None = Field(None, description="The release's page at the catalog's store.")


class CatalogTrack(BaseModel):
    """A catalog track, from the aggregator, with this service's `streamId`."""

    model_config = _OPEN
    id: AggregatorId = Field(description="The aggregator's track id.")
    title: str = Field(description="The track's title.")
    version: str | None = Field(None, description="Version of the track (`Radio Edit`), often empty.")
    artist: CatalogArtist | None = Field(None, description="The main artist.")
    trackNumber: int | None = Field(None, description="1-based position on its disc.")
    discNumber: int | None = Field(None, description="1-based disc number.")
    duration: int | None = Field(None, description="Running time in seconds.")
    explicitContent: bool | None = Field(None, description="True when marked explicit.")
    isrc: str | None = Field(None, description="International Standard Recording Code.")
    type: str | None = Field(None, description="`audio` or `video`.")
    genre: str | None = Field(None, description="Genre name.")
    composer: str | None = Field(None, description="Composer credit.")
    release: CatalogRelease | None = Field(None, description="The release the track is on (a summary).")
    usageTypes: list[str] | None = Field(None, description="How it may be used: `download`, `stream`.")
    price: CatalogPrice | None = Field(None, description="The track's download price.")
    url: str | None = Field(None, description="The track's page at the catalog's store.")
    streamId: uuid.UUID | None = Field(None, description="Added by this service: the id to stream the track with "
                                                         "(`GET /api/stream/{stream_id}`); null when it cannot be "
                                                         "streamed.")


class _CatalogPage(BaseModel):
    model_config = _OPEN
    page: int = Field(description="1-based page number.")
    pageSize: int = Field(description="Items per page (10..50).")
    totalItems: int = Field(description="How many items all pages hold together.")


class CatalogArtistPage(_CatalogPage):
    """One page of artists."""

    artists: list[CatalogArtist] = Field(description="The artists of this page.")


class CatalogReleasePage(_CatalogPage):
    """One page of releases."""

    releases: list[CatalogRelease] = Field(description="The releases of this page.")


class CatalogReleaseBatch(BaseModel):
    """Releases by id, in the order asked."""

    model_config = _OPEN
    releases: list[CatalogRelease] = Field(description="The releases found, in the order asked.")
    errors: list[dict[str, Any]] | None = Field(None, description="The ids not found (`showErrors=true`).")


class CatalogTrackBatch(BaseModel):
    """Tracks by id, in the order asked."""

    model_config = _OPEN
    tracks: list[CatalogTrack] = Field(description="The tracks found, in the order asked.")
    errors: list[dict[str, Any]] | None = Field(None, description="The ids not found (`showErrors=true`).")


# --------------------------------------------------------------------------- envelopes
# Written in place (the contract had these responses inline: a `$ref` would drop their keys); each model
# class inside becomes a `$ref` to its component (rest_compat/openapi.py).

PASS_THROUGH = "The aggregator's JSON (7digital API 1.2 style), passed through."
_STATUS = {"type": "string", "description": "The aggregator's status: `ok`."}
_VERSION = {"type": "string", "description": "The aggregator API's version (`1.2`)."}


def envelope(required: str, **properties: Any) -> dict[str, Any]:
    """An open object with the aggregator's `status` and `version` and the `properties` given (`required`:
    the one that always comes)."""
    return {"type": "object", "description": PASS_THROUGH, "additionalProperties": True, "required": [required],
            "properties": {"status": _STATUS, "version": _VERSION, **properties}}


def paged(required: str, **properties: Any) -> dict[str, Any]:
    """An envelope that is itself a page (`page`, `pageSize`, `totalItems`) of the `properties` given."""
    page = _CatalogPage.model_json_schema()["properties"]
    return envelope(required, **{name: {"type": "integer", "description": page[name]["description"]}
                                 for name in ("page", "pageSize", "totalItems")}, **properties)


def search(item: type[BaseModel]) -> dict[str, Any]:
    """A search answer: an estimate, the page and its results, best match first."""
    return envelope("results", estimatedTotalItems={"type": "integer", "description": "The aggregator's estimate "
                                                                                      "of all matches."},
                    page={"type": "integer", "description": "1-based page number."},
                    expectedPageSize={"type": "integer", "description": "The page size asked for (10..50)."},
                    results={"type": "array", "items": item, "description": "The matches, best first."})
