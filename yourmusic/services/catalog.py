"""The music catalog, read from the aggregator through the shared cache.

Each operation validates its parameters against the reference's enums and ranges (a bad value is a
422 here, never a pass-through), then answers the aggregator's JSON as it came (the contract passes
it through). Entities are also cached one by one for the dataloaders (`entities`).

Inputs are the domain models below, named in our words (`page_size`, `release_ids`); the transports
validate them through `validation.Submitted`, the REST contract naming them as the aggregator does
(rest_compat/names.py `CATALOG`). `UPSTREAM` is the aggregator's spelling of each parameter.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from yourmusic.cache import CacheStore
from yourmusic.errors import AggregatorError, AggregatorTimeout, NotFound
from yourmusic.integrations.aggregator.client import AggregatorClient, query_value
from yourmusic.validation import Input

BATCH_LIMIT = 50  # the aggregator's batch endpoints take at most 50 ids
IMAGE_SIZES = (33, 50, 100, 180, 182, 200, 350, 500, 800)
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

UsageTypes = Literal["download", "stream"]
ReleaseType = Literal["album", "single", "video"]


class _Paged(Input):
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=10, ge=10, le=50)


class _Imaged(Input):
    image_size: int | None = None  # one of IMAGE_SIZES
    usage_types: UsageTypes | None = None

    @field_validator("image_size")
    @classmethod
    def _image_size(cls, value: int | None) -> int | None:
        if value is not None and value not in IMAGE_SIZES:
            raise ValueError("must be one of " + ", ".join(map(str, IMAGE_SIZES)))
        return value


class ArtistSearch(_Paged):
    """A page of artists whose name matches `q`."""

    q: str = Field(min_length=1, max_length=255)


class ItemSearch(_Paged):
    """A page of releases or tracks matching `q`, optionally of one artist."""

    q: str = Field(min_length=1, max_length=255)
    usage_types: UsageTypes | None = None
    exclude_explicit_content: bool | None = None
    artist_id: str | None = Field(default=None, pattern=_ID_RE.pattern)


class ArtistBrowse(Input):
    """A page of artists whose name starts with `letter` (`#`: a digit or symbol)."""

    letter: str = Field(pattern=r"^[A-Za-z0-9#]$")
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=10, ge=10, le=50)


class ArtistReleases(_Imaged, _Paged):
    """A page of one artist's releases, optionally of one type."""

    type: ReleaseType | None = None


class ItemDetails(_Imaged):
    """How to render one artist, release or track."""


class ReleaseTracks(_Imaged):
    """A page of one release's tracks."""

    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=50, ge=10, le=50)


def _id_list(value: Any) -> Any:
    """A comma-separated list (as a query string has it) or a list: 1..BATCH_LIMIT catalog ids."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return value  # refused as no list
    ids = [part.strip() for part in value if isinstance(part, str) and part.strip()]
    if not ids:
        raise ValueError("must list at least one id")
    if len(ids) > BATCH_LIMIT:
        raise ValueError(f"may list at most {BATCH_LIMIT} ids")
    if not all(_ID_RE.match(i) for i in ids):
        raise ValueError("must be a comma-separated list of ids")
    return ids


# Sent (and documented) as one comma-separated string, as a query string carries it.
CatalogIds = Annotated[list[str], BeforeValidator(_id_list), WithJsonSchema({"type": "string"})]


class _Batch(_Imaged):
    show_errors: bool | None = None


class ReleaseBatch(_Batch):
    """Several releases by id, in the order given."""

    release_ids: CatalogIds
    type: ReleaseType | None = None


class TrackBatch(_Batch):
    """Several tracks by id, in the order given."""

    track_ids: CatalogIds


# The aggregator's name for each parameter named otherwise here (7digital API 1.2).
UPSTREAM: Mapping[str, str] = {
    "page_size": "pageSize", "image_size": "imageSize", "usage_types": "usageTypes",
    "exclude_explicit_content": "excludeExplicitContent", "artist_id": "artistId", "show_errors": "showErrors",
    "release_ids": "releaseids", "track_ids": "trackids",
}


def upstream_params(query: Input) -> dict[str, Any]:
    """A domain input as the aggregator's query parameters (unset ones left out, id lists comma-joined)."""
    return {UPSTREAM.get(name, name): ",".join(value) if isinstance(value, list) else value
            for name, value in query.model_dump(exclude_none=True).items()}


def catalog_id(value: str, what: str) -> str:
    """A catalog id as the aggregator spells it; anything else names nothing (404, no upstream call)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _ID_RE.match(text):
        raise NotFound(f"{what} not found.")
    return text


def _stale_ok(exc: BaseException) -> bool:
    """Serve a stale entry when the upstream is broken, not when it says the thing does not exist."""
    return isinstance(exc, (AggregatorError, AggregatorTimeout))


@dataclass(frozen=True)
class Ttl:
    search: int = 300
    details: int = 3600
    listing: int = 1800
    missing: int = 60


@dataclass(frozen=True)
class Entity:
    """How one kind of catalog object is batched upstream and cached one by one."""

    kind: str
    endpoint: str
    ids_param: str
    items_key: str


TRACK = Entity("track", "track/details/batch", "trackids", "tracks")
RELEASE = Entity("release", "release/details/batch", "releaseids", "releases")
ARTIST = Entity("artist", "artist/details/batch", "artistids", "artists")


class CatalogService:
    def __init__(self, client: AggregatorClient, cache: CacheStore, ttl: Ttl | None = None,
                 status_ttl: float = 5.0, status_timeout: float = 1.0) -> None:
        self.client = client
        self.cache = cache
        self.ttl = ttl or Ttl()
        self.country = client.config.country
        self.status_ttl = status_ttl
        self.status_timeout = status_timeout
        self._status: tuple[bool, float] | None = None

    # -- one cached upstream call -------------------------------------------------------------
    async def _cached(self, endpoint: str, params: Mapping[str, Any], ttl: int) -> dict[str, Any]:
        clean = {k: v for k, v in params.items() if v is not None}
        # Every parameter that changes the answer, and the country every call carries.
        key = f"agg:{endpoint}|{self.country}|" + "&".join(f"{k}={query_value(v)}" for k, v in sorted(clean.items()))
        return await self.cache.fetch(key, ttl, lambda: self.client.get(endpoint, clean), _stale_ok)

    # -- operations (#30-#40): each answers the aggregator's JSON as it came -------------------
    async def search_artists(self, query: ArtistSearch) -> dict[str, Any]:
        return await self._cached("artist/search", upstream_params(query), self.ttl.search)

    async def search_releases(self, query: ItemSearch) -> dict[str, Any]:
        return await self._cached("release/search", upstream_params(query), self.ttl.search)

    async def search_tracks(self, query: ItemSearch) -> dict[str, Any]:
        return await self._cached("track/search", upstream_params(query), self.ttl.search)

    async def browse_artists(self, query: ArtistBrowse) -> dict[str, Any]:
        params = upstream_params(query)
        params["letter"] = params["letter"].lower()
        return await self._cached("artist/browse", params, self.ttl.listing)

    async def artist(self, artist_id: str, details: ItemDetails | None = None) -> dict[str, Any]:
        """NotFound for an id the aggregator could not have (no upstream call), as for every id below."""
        params = {"artistid": catalog_id(artist_id, "Artist"), **upstream_params(details or ItemDetails())}
        params.pop("usageTypes", None)
        return await self._cached("artist/details", params, self.ttl.details)

    async def artist_releases(self, artist_id: str, query: ArtistReleases) -> dict[str, Any]:
        params = {"artistid": catalog_id(artist_id, "Artist"), **upstream_params(query)}
        return await self._cached("artist/releases", params, self.ttl.listing)

    async def release(self, release_id: str, details: ItemDetails | None = None) -> dict[str, Any]:
        params = {"releaseid": catalog_id(release_id, "Release"), **upstream_params(details or ItemDetails())}
        return await self._cached("release/details", params, self.ttl.details)

    async def release_tracks(self, release_id: str, query: ReleaseTracks) -> dict[str, Any]:
        params = {"releaseid": catalog_id(release_id, "Release"), **upstream_params(query)}
        return await self._cached("release/tracks", params, self.ttl.details)

    async def release_batch(self, query: ReleaseBatch) -> dict[str, Any]:
        return await self._cached("release/details/batch", upstream_params(query), self.ttl.details)

    async def track(self, track_id: str, details: ItemDetails | None = None) -> dict[str, Any]:
        params = {"trackid": catalog_id(track_id, "Track"), **upstream_params(details or ItemDetails())}
        return await self._cached("track/details", params, self.ttl.details)

    async def track_batch(self, query: TrackBatch) -> dict[str, Any]:
        return await self._cached("track/details/batch", upstream_params(query), self.ttl.details)

    # -- entities, one by one, for the dataloaders --------------------------------------------
    def _entity_key(self, entity: Entity, item_id: str) -> str:
        return f"ent:{entity.kind}:{self.country}:{item_id}"

    def held(self, entity: Entity, item_id: str) -> dict[str, Any] | NotFound | None:
        """The entity if this process holds it fresh (a NotFound if it is known to be missing), else
        None: a warm lookup then needs no loader, no batch and no await."""
        entry = self.cache.peek(self._entity_key(entity, item_id))
        if entry is None:
            return None
        return entry["v"] if entry["v"] is not None else NotFound(f"{entity.kind.capitalize()} not found.")

    async def entities(self, entity: Entity, ids: list[str]) -> list[dict[str, Any] | Exception]:
        """Objects for `ids` in order; each unknown id answers its own NotFound.

        Fresh cache entries never reach the upstream; the misses go out in batches of 50.
        """
        results: list[dict[str, Any] | Exception | None] = [None] * len(ids)
        valid: list[int] = []
        for i, raw in enumerate(ids):
            if _ID_RE.match(str(raw)):
                valid.append(i)
            else:
                results[i] = NotFound(f"{entity.kind.capitalize()} not found.")
        keys = [self._entity_key(entity, str(ids[i])) for i in valid]
        entries = await self.cache.get_entries(keys)
        missing: dict[str, list[int]] = {}
        stale: dict[str, Any] = {}
        for i, entry in zip(valid, entries):
            item_id = str(ids[i])
            if self.cache.is_fresh(entry):
                value = entry["v"]  # type: ignore[index]
                results[i] = value if value is not None else NotFound(f"{entity.kind.capitalize()} not found.")
            else:
                missing.setdefault(item_id, []).append(i)
                if entry is not None:
                    stale[item_id] = entry["v"]
        wanted = list(missing)
        chunks = [wanted[start : start + BATCH_LIMIT] for start in range(0, len(wanted), BATCH_LIMIT)]
        # All chunks at once, answered together: loads that depend on these results (a track's release)
        # then arrive in one tick and batch together, so call counts do not depend on timing.
        fetched = await asyncio.gather(*(self._fetch_batch(entity, chunk) for chunk in chunks), return_exceptions=True)
        for chunk, found in zip(chunks, fetched):
            if isinstance(found, (AggregatorError, AggregatorTimeout)):
                exc = found
                found = {i: stale[i] if stale.get(i) is not None else exc for i in chunk}
            elif isinstance(found, BaseException):
                raise found
            for item_id in chunk:
                value = found.get(item_id)
                outcome: Any = value if value is not None else NotFound(f"{entity.kind.capitalize()} not found.")
                for i in missing[item_id]:
                    results[i] = outcome
        return results  # type: ignore[return-value]

    async def _fetch_batch(self, entity: Entity, chunk: list[str]) -> dict[str, Any]:
        ordered = sorted(chunk)
        flight_key = f"batch:{entity.kind}:{self.country}:{','.join(ordered)}"

        async def load() -> dict[str, Any]:
            payload = await self.client.get(entity.endpoint, {entity.ids_param: ordered, "showErrors": True})
            items = (payload.get("items") or {}).get(entity.items_key) or []
            found = {str(item.get("id")): item for item in items if isinstance(item, dict)}
            await self.cache.put_many([(self._entity_key(entity, i), found[i]) for i in found], self.ttl.details)
            absent = [i for i in ordered if i not in found]
            await self.cache.put_many([(self._entity_key(entity, i), None) for i in absent], self.ttl.missing)
            return found

        return await self.cache.flight.do(flight_key, load)

    # -- upstream health -----------------------------------------------------------------------
    async def is_up(self) -> bool:
        """A short probe, its answer kept a few seconds (a status page must not hammer the upstream)."""
        now = time.monotonic()
        if self._status is not None and self._status[1] > now:
            return self._status[0]
        if not self.client.breaker.allow_probe():
            return False

        async def probe() -> bool:
            up = await self.client.probe(timeout=self.status_timeout)
            self._status = (up, time.monotonic() + self.status_ttl)
            return up

        return await self.cache.flight.do("aggregator-status", probe)
