"""Catalog types built from the aggregator's objects; relations resolve through the dataloaders."""

from __future__ import annotations

from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry

from yourmusic.resolvers import catalog as resolvers
from yourmusic.resolvers import streaming as streaming_resolvers
from yourmusic.rest_compat.names import CATALOG
from yourmusic.schema.info import Info
from yourmusic.services import catalog as svc
from yourmusic.validation import Submitted

T = TypeVar("T")


@strawberry.enum
class ReleaseType(Enum):
    ALBUM = "album"
    SINGLE = "single"
    VIDEO = "video"


@strawberry.enum
class UsageType(Enum):
    DOWNLOAD = "download"
    STREAM = "stream"


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type
class Price:
    formatted_price: str | None
    currency_code: str | None
    value: float | None

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> Price | None:
        if not d:
            return None
        return cls(formatted_price=d.get("formattedPrice"), currency_code=d.get("currencyCode"), value=d.get("value"))


@strawberry.type
class NamedRef:
    id: strawberry.ID
    name: str

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> NamedRef | None:
        return cls(id=_id(d.get("id")), name=d.get("name") or "") if d else None


@strawberry.type
class Artist:
    id: strawberry.ID
    name: str
    appears_as: str | None
    slug: str | None
    image: str | None
    url: str | None
    sort_name: str | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> Artist:
        return cls(id=_id(d["id"]), name=d.get("name") or "", appears_as=d.get("appearsAs"), slug=d.get("slug"),
                   image=d.get("image"), url=d.get("url"), sort_name=d.get("sortName"))

    @strawberry.field(description="Releases of this artist, newest first.")
    async def releases(self, info: Info, page: int = 1, page_size: int = 10,
                       type: ReleaseType | None = None) -> ReleasePage:
        query = Submitted(svc.ArtistReleases, {"page": page, "page_size": page_size,
                                               "type": type.value if type is not None else None}, CATALOG)
        payload = await resolvers.artist_releases(info.context, str(self.id), query)
        block = payload.get("releases") or {}
        return ReleasePage(page=block.get("page", page), page_size=block.get("pageSize", page_size),
                           total_items=block.get("totalItems", 0),
                           releases=[Release.of(r) for r in block.get("releases") or []])


@strawberry.type
class Release:
    id: strawberry.ID
    title: str
    version: str | None
    type: str | None
    barcode: str | None
    year: int | None
    explicit_content: bool | None
    slug: str | None
    image: str | None
    release_date: str | None
    track_count: int | None
    duration: int | None
    usage_types: list[str]
    label: NamedRef | None
    licensor: NamedRef | None
    price: Price | None
    url: str | None
    artist_id: strawberry.Private[str | None]

    @classmethod
    def of(cls, d: dict[str, Any]) -> Release:
        artist = d.get("artist") or {}
        return cls(id=_id(d["id"]), title=d.get("title") or "", version=d.get("version"), type=d.get("type"),
                   barcode=d.get("barcode"), year=d.get("year"), explicit_content=d.get("explicitContent"),
                   slug=d.get("slug"), image=d.get("image"), release_date=d.get("releaseDate"),
                   track_count=d.get("trackCount"), duration=d.get("duration"),
                   usage_types=list(d.get("usageTypes") or []), label=NamedRef.of(d.get("label")),
                   licensor=NamedRef.of(d.get("licensor")), price=Price.of(d.get("price")), url=d.get("url"),
                   artist_id=str(artist["id"]) if "id" in artist else None)

    @strawberry.field
    async def artist(self, info: Info) -> Artist | None:
        if self.artist_id is None:
            return None
        return Artist.of(await resolvers.load_artist(info.context, self.artist_id))

    @strawberry.field(description="The release's tracks, in track order.")
    async def tracks(self, info: Info, page: int = 1, page_size: int = 50) -> TrackPage:
        payload = await resolvers.release_tracks(info.context, str(self.id),
                                                 Submitted(svc.ReleaseTracks, {"page": page, "page_size": page_size},
                                                           CATALOG))
        return TrackPage(page=payload.get("page", page), page_size=payload.get("pageSize", page_size),
                         total_items=payload.get("totalItems", 0),
                         tracks=[Track.of(t) for t in payload.get("tracks") or []])


@strawberry.type
class Track:
    id: strawberry.ID
    title: str
    version: str | None
    track_number: int | None
    disc_number: int | None
    duration: int | None
    explicit_content: bool | None
    isrc: str | None
    type: str | None
    genre: str | None
    composer: str | None
    usage_types: list[str]
    price: Price | None
    url: str | None
    release_id: strawberry.Private[str | None]
    artist_id: strawberry.Private[str | None]

    @classmethod
    def of(cls, d: dict[str, Any]) -> Track:
        release = d.get("release") or {}
        artist = d.get("artist") or {}
        return cls(id=_id(d["id"]), title=d.get("title") or "", version=d.get("version"),
                   track_number=d.get("trackNumber"), disc_number=d.get("discNumber"), duration=d.get("duration"),
                   explicit_content=d.get("explicitContent"), isrc=d.get("isrc"), type=d.get("type"),
                   genre=d.get("genre"), composer=d.get("composer"), usage_types=list(d.get("usageTypes") or []),
                   price=Price.of(d.get("price")), url=d.get("url"),
                   release_id=str(release["id"]) if "id" in release else None,
                   artist_id=str(artist["id"]) if "id" in artist else None)

    @strawberry.field
    async def release(self, info: Info) -> Release | None:
        if self.release_id is None:
            return None
        return Release.of(await resolvers.load_release(info.context, self.release_id))

    @strawberry.field
    async def artist(self, info: Info) -> Artist | None:
        if self.artist_id is None:
            return None
        return Artist.of(await resolvers.load_artist(info.context, self.artist_id))

    @strawberry.field(description="The id to stream this track with (streamManifest, GET /api/stream/{id}); "
                                  "null when it is not streamable. Batched (StreamIdByTrackId).")
    async def stream_id(self, info: Info) -> strawberry.ID | None:
        found = await streaming_resolvers.load_stream_id(info.context, self.id)
        return None if found is None else strawberry.ID(found)


@strawberry.type
class ReleasePage:
    page: int
    page_size: int
    total_items: int
    releases: list[Release]


@strawberry.type
class TrackPage:
    page: int
    page_size: int
    total_items: int
    tracks: list[Track]


@strawberry.type
class ArtistPage:
    page: int
    page_size: int
    total_items: int
    artists: list[Artist]


@strawberry.type
class SearchResult(Generic[T]):
    estimated_total_items: int
    page: int
    expected_page_size: int
    results: list[T]


def _search(payload: dict[str, Any], build: Any) -> Any:
    return SearchResult(estimated_total_items=payload.get("estimatedTotalItems", 0), page=payload.get("page", 1),
                        expected_page_size=payload.get("expectedPageSize", 0),
                        results=[build(item) for item in payload.get("results") or []])


def _item_search(q: str, page: int, page_size: int, usage_types: UsageType | None,
                 exclude_explicit_content: bool | None, artist_id: strawberry.ID | None) -> Submitted[svc.ItemSearch]:
    return Submitted(svc.ItemSearch, {
        "q": q, "page": page, "page_size": page_size, "usage_types": usage_types.value if usage_types else None,
        "exclude_explicit_content": exclude_explicit_content,
        "artist_id": str(artist_id) if artist_id is not None else None}, CATALOG)


def _or_error(item: Any, build: Any) -> Any:
    return item if isinstance(item, BaseException) else build(item)


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Is the catalog aggregator answering? (Public.)")
    async def aggregator_status(self, info: Info) -> str:
        return "up" if await resolvers.aggregator_up(info.context) else "down"

    @strawberry.field
    async def artist(self, info: Info, id: strawberry.ID) -> Artist:
        return Artist.of(await resolvers.load_artist(info.context, id))

    @strawberry.field
    async def release(self, info: Info, id: strawberry.ID) -> Release:
        return Release.of(await resolvers.load_release(info.context, id))

    @strawberry.field
    async def track(self, info: Info, id: strawberry.ID) -> Track:
        return Track.of(await resolvers.load_track(info.context, id))

    @strawberry.field(description="Releases by id, in the order asked; an unknown id is null with its own error.")
    async def releases(self, info: Info, ids: list[strawberry.ID]) -> list[Release | None]:
        return [_or_error(r, Release.of) for r in await resolvers.load_releases(info.context, ids)]

    @strawberry.field(description="Tracks by id, in the order asked; an unknown id is null with its own error.")
    async def tracks(self, info: Info, ids: list[strawberry.ID]) -> list[Track | None]:
        return [_or_error(t, Track.of) for t in await resolvers.load_tracks(info.context, ids)]

    @strawberry.field
    async def search_artists(self, info: Info, q: str, page: int = 1, page_size: int = 10) -> SearchResult[Artist]:
        query = Submitted(svc.ArtistSearch, {"q": q, "page": page, "page_size": page_size}, CATALOG)
        return _search(await resolvers.search_artists(info.context, query), Artist.of)

    @strawberry.field
    async def search_releases(self, info: Info, q: str, page: int = 1, page_size: int = 10,
                              usage_types: UsageType | None = None, exclude_explicit_content: bool | None = None,
                              artist_id: strawberry.ID | None = None) -> SearchResult[Release]:
        query = _item_search(q, page, page_size, usage_types, exclude_explicit_content, artist_id)
        return _search(await resolvers.search_releases(info.context, query), Release.of)

    @strawberry.field
    async def search_tracks(self, info: Info, q: str, page: int = 1, page_size: int = 10,
                            usage_types: UsageType | None = None, exclude_explicit_content: bool | None = None,
                            artist_id: strawberry.ID | None = None) -> SearchResult[Track]:
        query = _item_search(q, page, page_size, usage_types, exclude_explicit_content, artist_id)
        return _search(await resolvers.search_tracks(info.context, query), Track.of)

    @strawberry.field
    async def browse_artists(self, info: Info, letter: str, page: int = 1, page_size: int = 10) -> ArtistPage:
        query = Submitted(svc.ArtistBrowse, {"letter": letter, "page": page, "page_size": page_size}, CATALOG)
        payload = await resolvers.browse_artists(info.context, query)
        block = payload.get("artists") or {}
        return ArtistPage(page=block.get("page", page), page_size=block.get("pageSize", page_size),
                          total_items=block.get("totalItems", 0),
                          artists=[Artist.of(a) for a in block.get("artists") or []])
