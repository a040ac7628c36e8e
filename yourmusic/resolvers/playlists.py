"""Playlists: user tokens only; catalog track ids are checked through the TrackById loader."""

from __future__ import annotations

import asyncio
from typing import Any

from yourmusic.context import Context
from yourmusic.errors import NotFound, ValidationFailed
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.pagination import Page
from yourmusic.services import playlists as svc


async def _known_tracks(ctx: Context, track_ids: list[str], field: str) -> None:
    """422 when the catalog does not know a track (one batched lookup for the whole list)."""
    loader = ctx.loaders.track_by_id
    found = await asyncio.gather(*(loader.load(t) for t in dict.fromkeys(track_ids)), return_exceptions=True)
    for track_id, outcome in zip(dict.fromkeys(track_ids), found):
        if isinstance(outcome, NotFound):
            raise ValidationFailed.field(field, f"The track {track_id} does not exist in the catalog.")
        if isinstance(outcome, BaseException):
            raise outcome


async def _owned(ctx: Context, playlist_id: Any) -> Playlist:
    me = await ctx.user()
    return await svc.get_owned(me.tenant_id, me.user_id, playlist_id)


async def my_playlists(ctx: Context) -> list[Playlist]:
    me = await ctx.user()
    return await svc.mine(me.tenant_id, me.user_id)


async def search(ctx: Context, args: dict[str, Any]) -> Page[Playlist]:
    me = await ctx.user()
    return await svc.search(me.tenant_id, me.user_id, args)


async def playlist(ctx: Context, playlist_id: Any) -> Playlist:
    me = await ctx.user()
    return await svc.get_visible(me.tenant_id, me.user_id, playlist_id)


async def create(ctx: Context, data: Any) -> Playlist:
    me = await ctx.user()
    return await svc.create(me.tenant_id, me.user_id, data)


async def update(ctx: Context, playlist_id: Any, data: Any) -> Playlist:
    me = await ctx.user()
    return await svc.update(me.tenant_id, me.user_id, playlist_id, data)


async def delete(ctx: Context, playlist_id: Any) -> None:
    me = await ctx.user()
    await svc.delete(me.tenant_id, me.user_id, playlist_id)


async def tracks(ctx: Context, playlist_id: Any, offset: int = 0, limit: int | None = None) -> list[PlaylistTrack]:
    me = await ctx.user()
    found = await svc.get_visible(me.tenant_id, me.user_id, playlist_id)
    return await svc.entries(found, offset, limit)


async def add_track(ctx: Context, playlist_id: Any, data: Any) -> PlaylistTrack:
    owned = await _owned(ctx, playlist_id)  # 404/403 before 422: the body reveals nothing
    track_id = svc.parse_add(data)
    await _known_tracks(ctx, [track_id], "track_id")
    return await svc.add_track(owned, track_id)


async def replace_tracks(ctx: Context, playlist_id: Any, data: Any) -> list[PlaylistTrack]:
    owned = await _owned(ctx, playlist_id)
    track_ids = svc.parse_replace(data)
    await _known_tracks(ctx, track_ids, "tracks")
    return await svc.replace_tracks(owned, track_ids)


async def remove_track(ctx: Context, playlist_id: Any, entry_id: Any) -> None:
    await svc.remove_track(await _owned(ctx, playlist_id), entry_id)


async def move_track(ctx: Context, playlist_id: Any, entry_id: Any, data: Any) -> PlaylistTrack:
    owned = await _owned(ctx, playlist_id)
    order = svc.parse_move(data)
    return await svc.move_track(owned, entry_id, order)


async def catalog_tracks(ctx: Context, entries: list[PlaylistTrack]) -> list[dict[str, Any] | None]:
    """Catalog details of each entry (batched through the loader); an unknown one is None."""
    loader = ctx.loaders.track_by_id
    found = await asyncio.gather(*(loader.load(e.track_id) for e in entries), return_exceptions=True)
    out: list[dict[str, Any] | None] = []
    for item in found:
        if isinstance(item, NotFound):
            out.append(None)
        elif isinstance(item, BaseException):
            raise item
        else:
            out.append(item)
    return out
