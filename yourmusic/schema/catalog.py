"""Catalog types built from the aggregator's objects; relations resolve through the dataloaders.

Relation fields (a track's release and artist, a release's artist) are plain functions: warm, they answer
the built value at once (`resolvers.entity_field`), so graphql-core completes each item of a list without
a coroutine; cold, they answer an awaitable that goes through the request's loader, batched as before.

Every description here says where the data comes from (the catalog aggregator, cached) and, for root
fields and arguments, the units, ranges and error codes a client meets (`extensions.code`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from yourmusic.resolvers import catalog as resolvers
from yourmusic.resolvers import streaming as streaming_resolvers
from yourmusic.rest_compat.names import CATALOG
from yourmusic.schema.info import Info
from yourmusic.services import catalog as svc
from yourmusic.validation import Submitted

T = TypeVar("T")

D = strawberry.field  # a described field: D(description=...)
A = strawberry.argument

# What every catalog read may fail with, besides its own codes (README, "Errors").
CATALOG_ERRORS = ("UNAUTHENTICATED or INVALID_AUTH_TOKEN (no, or a bad, client token or user token); "
                  "AGGREGATOR_ERROR (the aggregator failed), AGGREGATOR_TIMEOUT (it did not answer in time), "
                  "SERVICE_UNAVAILABLE (it is unreachable or its circuit is open)")
FROM_AGGREGATOR = "From the catalog aggregator (cached)."
PAGE = "1-based page number (1..10000)."


def _page_size(default: int) -> str:
    return f"Items per page (10..50, default {default})."


@strawberry.enum(description="The kind of a catalog release, as the aggregator classifies it.")
class ReleaseType(Enum):
    ALBUM = strawberry.enum_value("album", description="An album (several tracks).")
    SINGLE = strawberry.enum_value("single", description="A single (one or a few tracks).")
    VIDEO = strawberry.enum_value("video", description="A video release.")


@strawberry.enum(description="How the licence lets a release or track be used.")
class UsageType(Enum):
    DOWNLOAD = strawberry.enum_value("download", description="May be sold as a download.")
    STREAM = strawberry.enum_value("stream", description="May be streamed.")


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


class SharedValue:
    """A catalog value: built once from an aggregator object and then shared, between the fields of one
    answer and between requests (`by_source`), so it cannot change after it is built: assigning to one of
    its attributes raises AttributeError (dataclasses' `frozen` does not combine with Strawberry's resolver
    methods). The lists it holds are its own copies, never changed either. GraphQL keeps the completed leaves
    of such a value across requests (schema/selection_plans.py, LeafMemo)."""

    __shared_value__ = True  # selection_plans.SHARED_VALUE_MARK: its completed leaves are kept (LeafMemo)
    _sealed = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sealed", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._sealed:
            raise AttributeError(f"{type(self).__name__} is a shared catalog value: build a new one instead")
        object.__setattr__(self, name, value)


V = TypeVar("V")


def by_source(size: int = 4096) -> Callable[[Callable[[Any, dict[str, Any]], V]], Callable[[Any, dict[str, Any]], V]]:
    """Memoizes a catalog type's `of(cls, d)` by the identity of the aggregator object `d`.

    The entity cache hands out the same dict for an entity while it holds it fresh (services/catalog.py),
    and the same converted value is then answered for it: a warm home page (about 300 catalog items and
    relations) converts nothing. A refreshed entity is a new dict, so a new value. At most `size` entries a
    type (first in, first out), each holding its dict so that its id cannot be reused meanwhile; an object
    seen once (a fresh upstream answer) costs one entry until it is pushed out. Sound because neither side
    changes: aggregator objects are never modified once parsed, and the values are SharedValues.
    """

    def memoize(of: Callable[[Any, dict[str, Any]], V]) -> Callable[[Any, dict[str, Any]], V]:
        built: dict[int, tuple[dict[str, Any], V]] = {}

        def memoized(cls: Any, d: dict[str, Any]) -> V:
            hit = built.get(id(d))
            if hit is not None and hit[0] is d:
                return hit[1]
            value = of(cls, d)
            if len(built) >= size:
                del built[next(iter(built))]
            built[id(d)] = (d, value)
            return value

        memoized.__doc__, memoized.__name__ = of.__doc__, of.__name__
        return memoized

    return memoize


@strawberry.type(description="A catalog price, from the aggregator, in the aggregator's country (AGGREGATOR_COUNTRY).")
class Price(SharedValue):
    formatted_price: str | None = D(description="The price formatted for display with its currency symbol, e.g. `$9.99`.")
    currency_code: str | None = D(description="ISO 4217 currency code, e.g. `USD`.")
    value: float | None = D(description="The amount in the currency's major unit (9.99 means 9.99 dollars).")

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> Price | None:
        if not d:
            return None
        return cls(formatted_price=d.get("formattedPrice"), currency_code=d.get("currencyCode"), value=d.get("value"))


@strawberry.type(description="A record label or licensor of a release, from the aggregator.")
class NamedRef(SharedValue):
    id: strawberry.ID = D(description="The aggregator's id of the label or licensor.")
    name: str = D(description="Its name (empty when the aggregator gives none).")

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> NamedRef | None:
        return cls(id=_id(d.get("id")), name=d.get("name") or "") if d else None


@strawberry.type(description="A catalog artist. " + FROM_AGGREGATOR)
class Artist(SharedValue):
    id: strawberry.ID = D(description="The aggregator's artist id (digits).")
    name: str = D(description="The artist's name (empty when the aggregator gives none).")
    appears_as: str | None = D(description="The name as credited on a release, when it differs from `name`.")
    slug: str | None = D(description="URL-friendly name, e.g. `the-beatles`.")
    image: str | None = D(description="Absolute URL of the artist's image.")
    url: str | None = D(description="The artist's page at the catalog's store.")
    sort_name: str | None = D(description="The name to sort by, e.g. `Beatles, The`.")

    @classmethod
    @by_source()
    def of(cls, d: dict[str, Any]) -> Artist:
        return cls(id=_id(d["id"]), name=d.get("name") or "", appears_as=d.get("appearsAs"), slug=d.get("slug"),
                   image=d.get("image"), url=d.get("url"), sort_name=d.get("sortName"))

    @strawberry.field(description="Releases of this artist, newest first. " + FROM_AGGREGATOR + " Errors: "
                      "VALIDATION_FAILED (page, pageSize out of range), " + CATALOG_ERRORS + ".")
    async def releases(self, info: Info, page: Annotated[int, A(description=PAGE)] = 1,
                       page_size: Annotated[int, A(description=_page_size(10))] = 10,
                       type: Annotated[ReleaseType | None, A(description="Only releases of this type; null: all.")]
                       = None) -> ReleasePage:
        query = Submitted(svc.ArtistReleases, {"page": page, "page_size": page_size,
                                               "type": type.value if type is not None else None}, CATALOG)
        payload = await resolvers.artist_releases(info.context, str(self.id), query)
        block = payload.get("releases") or {}
        return ReleasePage(page=block.get("page", page), page_size=block.get("pageSize", page_size),
                           total_items=block.get("totalItems", 0),
                           releases=[Release.of(r) for r in block.get("releases") or []])


@strawberry.type(description="A catalog release (album, single or video). " + FROM_AGGREGATOR)
class Release(SharedValue):
    id: strawberry.ID = D(description="The aggregator's release id (digits).")
    title: str = D(description="The release's title (empty when the aggregator gives none).")
    version: str | None = D(description="Version of the release, e.g. `Remastered`.")
    type: str | None = D(description="`album`, `single` or `video` (see ReleaseType).")
    barcode: str | None = D(description="UPC/EAN barcode.")
    year: int | None = D(description="Year of release (four digits).")
    explicit_content: bool | None = D(description="True when the release is marked explicit.")
    slug: str | None = D(description="URL-friendly title.")
    image: str | None = D(description="Absolute URL of the cover image.")
    release_date: str | None = D(description="Release date and time as the aggregator gives it (ISO 8601).")
    track_count: int | None = D(description="Number of tracks on the release.")
    duration: int | None = D(description="Total running time in seconds.")
    usage_types: list[str] = D(description="How the release may be used: `download`, `stream` (see UsageType).")
    label: NamedRef | None = D(description="The record label.")
    licensor: NamedRef | None = D(description="Who licenses the release.")
    price: Price | None = D(description="The release's download price.")
    url: str | None = D(description="The release's page at the catalog's store.")
    artist_id: strawberry.Private[str | None]

    @classmethod
    @by_source()
    def of(cls, d: dict[str, Any]) -> Release:
        artist = d.get("artist") or {}
        return cls(id=_id(d["id"]), title=d.get("title") or "", version=d.get("version"), type=d.get("type"),
                   barcode=d.get("barcode"), year=d.get("year"), explicit_content=d.get("explicitContent"),
                   slug=d.get("slug"), image=d.get("image"), release_date=d.get("releaseDate"),
                   track_count=d.get("trackCount"), duration=d.get("duration"),
                   usage_types=list(d.get("usageTypes") or []), label=NamedRef.of(d.get("label")),
                   licensor=NamedRef.of(d.get("licensor")), price=Price.of(d.get("price")), url=d.get("url"),
                   artist_id=str(artist["id"]) if "id" in artist else None)

    @strawberry.field(description="The release's main artist (batched: ArtistById). " + FROM_AGGREGATOR
                      + " Null when the release names none; NOT_FOUND (with null) when the aggregator no longer "
                      "has it.")
    def artist(self, info: Info) -> Artist | None:
        if self.artist_id is None:
            return None
        return resolvers.entity_field(info.context, svc.ARTIST, self.artist_id, Artist.of)  # type: ignore[return-value]

    @strawberry.field(description="The release's tracks, in track order. " + FROM_AGGREGATOR + " Errors: "
                      "VALIDATION_FAILED (page, pageSize out of range), " + CATALOG_ERRORS + ".")
    async def tracks(self, info: Info, page: Annotated[int, A(description=PAGE)] = 1,
                     page_size: Annotated[int, A(description=_page_size(50))] = 50) -> TrackPage:
        payload = await resolvers.release_tracks(info.context, str(self.id),
                                                 Submitted(svc.ReleaseTracks, {"page": page, "page_size": page_size},
                                                           CATALOG))
        return TrackPage(page=payload.get("page", page), page_size=payload.get("pageSize", page_size),
                         total_items=payload.get("totalItems", 0),
                         tracks=[Track.of(t) for t in payload.get("tracks") or []])


@strawberry.type(description="A catalog track. " + FROM_AGGREGATOR)
class Track(SharedValue):
    id: strawberry.ID = D(description="The aggregator's track id (digits).")
    title: str = D(description="The track's title (empty when the aggregator gives none).")
    version: str | None = D(description="Version of the track, e.g. `Radio Edit`.")
    track_number: int | None = D(description="1-based position on its disc.")
    disc_number: int | None = D(description="1-based disc number within the release.")
    duration: int | None = D(description="Running time in seconds.")
    explicit_content: bool | None = D(description="True when the track is marked explicit.")
    isrc: str | None = D(description="International Standard Recording Code (12 characters).")
    type: str | None = D(description="The aggregator's kind of track, e.g. `audio` or `video`.")
    genre: str | None = D(description="The aggregator's genre name.")
    composer: str | None = D(description="Composer credit.")
    usage_types: list[str] = D(description="How the track may be used: `download`, `stream` (see UsageType).")
    price: Price | None = D(description="The track's download price.")
    url: str | None = D(description="The track's page at the catalog's store.")
    release_id: strawberry.Private[str | None]
    artist_id: strawberry.Private[str | None]

    @classmethod
    @by_source()
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

    @strawberry.field(description="The release the track is on (batched: ReleaseById). " + FROM_AGGREGATOR
                      + " Null when the track names none; NOT_FOUND (with null) when the aggregator no longer "
                      "has it.")
    def release(self, info: Info) -> Release | None:
        if self.release_id is None:
            return None
        return resolvers.entity_field(info.context, svc.RELEASE, self.release_id, Release.of)  # type: ignore[return-value]

    @strawberry.field(description="The track's main artist (batched: ArtistById). " + FROM_AGGREGATOR
                      + " Null when the track names none; NOT_FOUND (with null) when the aggregator no longer "
                      "has it.")
    def artist(self, info: Info) -> Artist | None:
        if self.artist_id is None:
            return None
        return resolvers.entity_field(info.context, svc.ARTIST, self.artist_id, Artist.of)  # type: ignore[return-value]

    @strawberry.field(description="The id to stream this track with (streamManifest, GET /api/stream/{id}); "
                                  "null when it is not streamable. Batched (StreamIdByTrackId); from the "
                                  "streaming server. Errors: STREAMING_ERROR, STREAMING_TIMEOUT, "
                                  "SERVICE_UNAVAILABLE (the streaming server failed, was slow, or is down).")
    async def stream_id(self, info: Info) -> strawberry.ID | None:
        found = await streaming_resolvers.load_stream_id(info.context, self.id)
        return None if found is None else strawberry.ID(found)


_PAGE_NO = "The 1-based page number of this page."
_PAGE_SIZE = "The page size asked for (10..50)."
_TOTAL = "How many items all pages hold together."


@strawberry.type(description="One page of releases, from the aggregator.")
class ReleasePage:
    page: int = D(description=_PAGE_NO)
    page_size: int = D(description=_PAGE_SIZE)
    total_items: int = D(description=_TOTAL)
    releases: list[Release] = D(description="The releases of this page (at most pageSize).")


@strawberry.type(description="One page of tracks, from the aggregator.")
class TrackPage:
    page: int = D(description=_PAGE_NO)
    page_size: int = D(description=_PAGE_SIZE)
    total_items: int = D(description=_TOTAL)
    tracks: list[Track] = D(description="The tracks of this page (at most pageSize), in track order.")


@strawberry.type(description="One page of artists, from the aggregator.")
class ArtistPage:
    page: int = D(description=_PAGE_NO)
    page_size: int = D(description=_PAGE_SIZE)
    total_items: int = D(description=_TOTAL)
    artists: list[Artist] = D(description="The artists of this page (at most pageSize).")


@strawberry.type(description="One page of catalog search results, from the aggregator (best match first).")
class SearchResult(Generic[T]):
    estimated_total_items: int = D(description="The aggregator's estimate of all matches (not exact).")
    page: int = D(description=_PAGE_NO)
    expected_page_size: int = D(description="The page size asked for (10..50); the last page may hold fewer.")
    results: list[T] = D(description="The matches of this page, best first.")


def _search(payload: dict[str, Any], build: Any) -> Any:
    return SearchResult(estimated_total_items=payload.get("estimatedTotalItems", 0), page=payload.get("page", 1),
                        expected_page_size=payload.get("expectedPageSize", 0),
                        results=[build(item) for item in payload.get("results") or []])


Q = Annotated[str, A(description="Search terms (1..255 characters).")]
PageNo = Annotated[int, A(description=PAGE)]
PageSize10 = Annotated[int, A(description=_page_size(10))]
UsageArg = Annotated[UsageType | None, A(description="Only items licensed for this use; null: any.")]
ExplicitArg = Annotated[bool | None, A(description="True: leave out items marked explicit.")]
ArtistArg = Annotated[strawberry.ID | None, A(description="Only items of this artist (the aggregator's artist id).")]
CatalogId = Annotated[strawberry.ID, A(description="The aggregator's id (digits); any other id is NOT_FOUND "
                                                   "without an upstream call.")]
CatalogIds = Annotated[list[strawberry.ID], A(description="The aggregator's ids (at most 100), in the order "
                                                          "wanted.")]
_SEARCH = (" " + FROM_AGGREGATOR + " Errors: VALIDATION_FAILED (q empty or longer than 255, page or pageSize out "
           "of range), " + CATALOG_ERRORS + ".")
_ONE = " " + FROM_AGGREGATOR + " Errors: NOT_FOUND (no such id), " + CATALOG_ERRORS + "."
_MANY = (" " + FROM_AGGREGATOR + " Errors: VALIDATION_FAILED (more than 100 ids), NOT_FOUND per unknown id, "
         + CATALOG_ERRORS + ".")


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
    @strawberry.field(description="Is the catalog aggregator answering? `up` or `down`, probed at most every "
                      "AGGREGATOR_STATUS_TTL seconds (default 5). Public: needs no token, raises no error.")
    async def aggregator_status(self, info: Info) -> str:
        return "up" if await resolvers.aggregator_up(info.context) else "down"

    @strawberry.field(description="One artist by id (client token or user token)." + _ONE)
    async def artist(self, info: Info, id: CatalogId) -> Artist:
        return Artist.of(await resolvers.load_artist(info.context, id))

    @strawberry.field(description="One release by id (client token or user token)." + _ONE)
    async def release(self, info: Info, id: CatalogId) -> Release:
        return Release.of(await resolvers.load_release(info.context, id))

    @strawberry.field(description="One track by id (client token or user token)." + _ONE)
    async def track(self, info: Info, id: CatalogId) -> Track:
        return Track.of(await resolvers.load_track(info.context, id))

    @strawberry.field(description="Releases by id, in the order asked; an unknown id is null with its own error "
                      "(client token or user token)." + _MANY)
    async def releases(self, info: Info, ids: CatalogIds) -> list[Release | None]:
        return [_or_error(r, Release.of) for r in await resolvers.load_releases(info.context, ids)]

    @strawberry.field(description="Tracks by id, in the order asked; an unknown id is null with its own error "
                      "(client token or user token)." + _MANY)
    async def tracks(self, info: Info, ids: CatalogIds) -> list[Track | None]:
        return [_or_error(t, Track.of) for t in await resolvers.load_tracks(info.context, ids)]

    @strawberry.field(description="Artists whose name matches `q` (client token or user token)." + _SEARCH)
    async def search_artists(self, info: Info, q: Q, page: PageNo = 1, page_size: PageSize10 = 10) -> SearchResult[Artist]:
        query = Submitted(svc.ArtistSearch, {"q": q, "page": page, "page_size": page_size}, CATALOG)
        return _search(await resolvers.search_artists(info.context, query), Artist.of)

    @strawberry.field(description="Releases matching `q`, optionally of one artist (client token or user "
                      "token)." + _SEARCH)
    async def search_releases(self, info: Info, q: Q, page: PageNo = 1, page_size: PageSize10 = 10,
                              usage_types: UsageArg = None, exclude_explicit_content: ExplicitArg = None,
                              artist_id: ArtistArg = None) -> SearchResult[Release]:
        query = _item_search(q, page, page_size, usage_types, exclude_explicit_content, artist_id)
        return _search(await resolvers.search_releases(info.context, query), Release.of)

    @strawberry.field(description="Tracks matching `q`, optionally of one artist (client token or user "
                      "token)." + _SEARCH)
    async def search_tracks(self, info: Info, q: Q, page: PageNo = 1, page_size: PageSize10 = 10,
                            usage_types: UsageArg = None, exclude_explicit_content: ExplicitArg = None,
                            artist_id: ArtistArg = None) -> SearchResult[Track]:
        query = _item_search(q, page, page_size, usage_types, exclude_explicit_content, artist_id)
        return _search(await resolvers.search_tracks(info.context, query), Track.of)

    @strawberry.field(description="Artists whose name starts with `letter`, alphabetically (client token or user "
                      "token). " + FROM_AGGREGATOR + " Errors: VALIDATION_FAILED (letter not one character of "
                      "A-Z, a-z, 0-9 or `#`; page or pageSize out of range), " + CATALOG_ERRORS + ".")
    async def browse_artists(self, info: Info,
                             letter: Annotated[str, A(description="One letter or digit; `#` for names starting "
                                                                  "with a digit or symbol.")],
                             page: PageNo = 1, page_size: PageSize10 = 10) -> ArtistPage:
        query = Submitted(svc.ArtistBrowse, {"letter": letter, "page": page, "page_size": page_size}, CATALOG)
        payload = await resolvers.browse_artists(info.context, query)
        block = payload.get("artists") or {}
        return ArtistPage(page=block.get("page", page), page_size=block.get("pageSize", page_size),
                          total_items=block.get("totalItems", 0),
                          artists=[Artist.of(a) for a in block.get("artists") or []])
