"""Catalog reads: any authenticated caller of a tenant (client token or user token) may read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from yourmusic.context import Context
from yourmusic.errors import NotFound, ValidationFailed
from yourmusic.services import catalog as svc
from yourmusic.services.catalog import ARTIST, RELEASE, TRACK, CatalogService, Entity
from yourmusic.validation import Submitted


MAX_IDS = 100
T = TypeVar("T")


async def _each(loader: DataLoader, ids: list[Any]) -> list[Any]:
    """`load_many` that keeps each failure in its own slot instead of failing the whole list."""
    if len(ids) > MAX_IDS:
        raise ValidationFailed.field("ids", f"The ids field must not have more than {MAX_IDS} items.")
    return list(await asyncio.gather(*(loader.load(str(i)) for i in ids), return_exceptions=True))


async def _catalog(ctx: Context) -> CatalogService:
    await ctx.caller()
    return ctx.container.catalog


async def _catalog_of(ctx: Context, item_id: str, what: str) -> CatalogService:
    """The catalog, once the caller is known and `item_id` could name a `what` (NotFound otherwise: an id
    that names nothing is a 404 before anything about the query is a 422)."""
    catalog = await _catalog(ctx)
    svc.catalog_id(item_id, what)
    return catalog


async def aggregator_up(ctx: Context) -> bool:
    """Public: a status page needs no credentials."""
    return await ctx.container.catalog.is_up()


async def search_artists(ctx: Context, query: Submitted[svc.ArtistSearch]) -> dict[str, Any]:
    return await (await _catalog(ctx)).search_artists(query.value())


async def search_releases(ctx: Context, query: Submitted[svc.ItemSearch]) -> dict[str, Any]:
    return await (await _catalog(ctx)).search_releases(query.value())


async def search_tracks(ctx: Context, query: Submitted[svc.ItemSearch]) -> dict[str, Any]:
    return await (await _catalog(ctx)).search_tracks(query.value())


async def browse_artists(ctx: Context, query: Submitted[svc.ArtistBrowse]) -> dict[str, Any]:
    return await (await _catalog(ctx)).browse_artists(query.value())


async def artist(ctx: Context, artist_id: str, details: Submitted[svc.ItemDetails]) -> dict[str, Any]:
    return await (await _catalog_of(ctx, artist_id, "Artist")).artist(artist_id, details.value())


async def artist_releases(ctx: Context, artist_id: str, query: Submitted[svc.ArtistReleases]) -> dict[str, Any]:
    return await (await _catalog_of(ctx, artist_id, "Artist")).artist_releases(artist_id, query.value())


async def release(ctx: Context, release_id: str, details: Submitted[svc.ItemDetails]) -> dict[str, Any]:
    return await (await _catalog_of(ctx, release_id, "Release")).release(release_id, details.value())


async def release_tracks(ctx: Context, release_id: str, query: Submitted[svc.ReleaseTracks]) -> dict[str, Any]:
    return await (await _catalog_of(ctx, release_id, "Release")).release_tracks(release_id, query.value())


async def release_batch(ctx: Context, query: Submitted[svc.ReleaseBatch]) -> dict[str, Any]:
    return await (await _catalog(ctx)).release_batch(query.value())


async def track(ctx: Context, track_id: str, details: Submitted[svc.ItemDetails]) -> dict[str, Any]:
    return await (await _catalog_of(ctx, track_id, "Track")).track(track_id, details.value())


async def track_batch(ctx: Context, query: Submitted[svc.TrackBatch]) -> dict[str, Any]:
    return await (await _catalog(ctx)).track_batch(query.value())


async def load_tracks(ctx: Context, ids: list[Any]) -> list[dict[str, Any] | BaseException]:
    """Entities through the per-request loader (batched, cached); each failure stays in its slot."""
    await ctx.caller()
    return await _each(ctx.loaders.track_by_id, ids)


async def load_releases(ctx: Context, ids: list[Any]) -> list[dict[str, Any] | BaseException]:
    await ctx.caller()
    return await _each(ctx.loaders.release_by_id, ids)


async def _load(ctx: Context, entity: Entity, loader_name: str, item_id: Any) -> dict[str, Any]:
    """One entity: straight from this process's cache when it holds it fresh, else through the
    request's loader (batched with the other loads of this tick)."""
    await ctx.caller()
    held = ctx.container.catalog.held(entity, str(item_id))
    if isinstance(held, NotFound):
        raise held
    if held is not None:
        return held
    return await getattr(ctx.loaders, loader_name).load(str(item_id))


def entity_field(ctx: Context, entity: Entity, item_id: Any, build: Callable[[dict[str, Any]], T]) -> T | Awaitable[T]:
    """A relation field's value (a track's release or artist, a release's artist, an entry's track):
    `build(entity)` at once when this request has already checked its caller and this process holds the
    entity fresh (the warm path of each item of a list: no coroutine, no await, no loader), else an
    awaitable of it through `_load` (caller checked, the request's loader). NotFound as `_load` raises it."""
    if ctx.live_caller() is not None:
        held = ctx.container.catalog.held(entity, str(item_id))
        if isinstance(held, NotFound):
            raise held
        if held is not None:
            return build(held)
    return _built(_load(ctx, entity, f"{entity.kind}_by_id", item_id), build)


async def _built(loading: Awaitable[dict[str, Any]], build: Callable[[dict[str, Any]], T]) -> T:
    return build(await loading)


async def load_artist(ctx: Context, artist_id: Any) -> dict[str, Any]:
    return await _load(ctx, ARTIST, "artist_by_id", artist_id)


async def load_release(ctx: Context, release_id: Any) -> dict[str, Any]:
    return await _load(ctx, RELEASE, "release_by_id", release_id)


async def load_track(ctx: Context, track_id: Any) -> dict[str, Any]:
    return await _load(ctx, TRACK, "track_by_id", track_id)
