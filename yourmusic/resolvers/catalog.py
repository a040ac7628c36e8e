"""Catalog reads: any authenticated caller of a tenant (client token or user token) may read."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from strawberry.dataloader import DataLoader

from yourmusic.context import Context
from yourmusic.errors import NotFound, ValidationFailed
from yourmusic.services.catalog import ARTIST, RELEASE, TRACK, CatalogService, Entity


MAX_IDS = 100


async def _each(loader: DataLoader, ids: list[Any]) -> list[Any]:
    """`load_many` that keeps each failure in its own slot instead of failing the whole list."""
    if len(ids) > MAX_IDS:
        raise ValidationFailed.field("ids", f"The ids field must not have more than {MAX_IDS} items.")
    return list(await asyncio.gather(*(loader.load(str(i)) for i in ids), return_exceptions=True))


async def _catalog(ctx: Context) -> CatalogService:
    await ctx.caller()
    return ctx.container.catalog


async def aggregator_up(ctx: Context) -> bool:
    """Public: a status page needs no credentials."""
    return await ctx.container.catalog.is_up()


async def search_artists(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).search_artists(args)


async def search_releases(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).search_releases(args)


async def search_tracks(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).search_tracks(args)


async def browse_artists(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).browse_artists(args)


async def artist(ctx: Context, artist_id: Any, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return await (await _catalog(ctx)).artist(artist_id, args)


async def artist_releases(ctx: Context, artist_id: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).artist_releases(artist_id, args)


async def release(ctx: Context, release_id: Any, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return await (await _catalog(ctx)).release(release_id, args)


async def release_tracks(ctx: Context, release_id: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).release_tracks(release_id, args)


async def release_batch(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).release_batch(args)


async def track(ctx: Context, track_id: Any, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return await (await _catalog(ctx)).track(track_id, args)


async def track_batch(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return await (await _catalog(ctx)).track_batch(args)


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


async def load_artist(ctx: Context, artist_id: Any) -> dict[str, Any]:
    return await _load(ctx, ARTIST, "artist_by_id", artist_id)


async def load_release(ctx: Context, release_id: Any) -> dict[str, Any]:
    return await _load(ctx, RELEASE, "release_by_id", release_id)


async def load_track(ctx: Context, track_id: Any) -> dict[str, Any]:
    return await _load(ctx, TRACK, "track_by_id", track_id)
