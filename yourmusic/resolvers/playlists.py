"""Playlists: user tokens only; catalog track ids are checked through the TrackById loader."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

from yourmusic.context import Context
from yourmusic.errors import NotFound
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.pagination import CursorArgs, CursorPage, Page, walked
from yourmusic.resolvers.streaming import add_stream_ids
from yourmusic.services import playlists as svc
from yourmusic.services.catalog import TRACK
from yourmusic.services.playlists import EntryRow
from yourmusic.validation import Submitted


async def _known_tracks(ctx: Context, track_ids: list[str], submitted: Submitted[Any], field: str) -> None:
    """422 on `field` when the catalog does not know a track (one batched lookup for the whole list)."""
    loader = ctx.loaders.track_by_id
    found = await asyncio.gather(*(loader.load(t) for t in dict.fromkeys(track_ids)), return_exceptions=True)
    for track_id, outcome in zip(dict.fromkeys(track_ids), found):
        if isinstance(outcome, NotFound):
            raise submitted.invalid(field, f"The track {track_id} does not exist in the catalog.")
        if isinstance(outcome, BaseException):
            raise outcome


async def _owned(ctx: Context, playlist_id: uuid.UUID) -> Playlist:
    me = await ctx.user()
    return await svc.get_owned(me.tenant_id, me.user_id, playlist_id)


async def my_playlists(ctx: Context) -> list[Playlist]:
    me = await ctx.user()
    return await svc.mine(me.tenant_id, me.user_id)


async def walk_my_playlists(ctx: Context, args: Submitted[CursorArgs]) -> CursorPage[Playlist]:
    me = await ctx.user()
    return await walked(args, lambda a: svc.walk_mine(me.tenant_id, me.user_id, a, ctx.container.cursors))


async def walk_search(ctx: Context, query: Submitted[svc.PlaylistSearchWalk]) -> CursorPage[Playlist]:
    me = await ctx.user()
    return await walked(query, lambda q: svc.walk_search(me.tenant_id, me.user_id, q, ctx.container.cursors))


async def search(ctx: Context, query: Submitted[svc.PlaylistSearch]) -> Page[Playlist]:
    me = await ctx.user()
    return await svc.search(me.tenant_id, me.user_id, query.value())


async def playlist(ctx: Context, playlist_id: uuid.UUID) -> Playlist:
    me = await ctx.user()
    return await svc.get_visible(me.tenant_id, me.user_id, playlist_id)


async def create(ctx: Context, new: Submitted[svc.NewPlaylist]) -> Playlist:
    me = await ctx.user()
    return await svc.create(me.tenant_id, me.user_id, new.value())


async def update(ctx: Context, playlist_id: uuid.UUID, update: Submitted[svc.PlaylistUpdate]) -> Playlist:
    owned = await _owned(ctx, playlist_id)  # 404/403 before 422: the body reveals nothing
    return await svc.update(owned, update.value())


async def delete(ctx: Context, playlist_id: uuid.UUID) -> None:
    await svc.delete(await _owned(ctx, playlist_id))


async def tracks(ctx: Context, playlist_id: uuid.UUID, offset: int = 0, limit: int | None = None) -> list[EntryRow]:
    return await svc.entries(await playlist(ctx, playlist_id), offset, limit)


async def entries_of(shown: Playlist, offset: int = 0, limit: int | None = None) -> list[EntryRow]:
    """The entries of a playlist row this request already read through a visibility check (`playlist`,
    `my_playlists`, `search`, ...): no second read of the playlist."""
    return await svc.entries(shown, offset, limit)


async def walk_tracks(ctx: Context, playlist_id: uuid.UUID, args: Submitted[CursorArgs]) -> CursorPage[PlaylistTrack]:
    return await walk_entries_of(ctx, await playlist(ctx, playlist_id), args)


async def walk_entries_of(ctx: Context, shown: Playlist, args: Submitted[CursorArgs]) -> CursorPage[PlaylistTrack]:
    """As `entries_of`, a keyset page."""
    return await walked(args, lambda a: svc.walk_entries(shown, a, ctx.container.cursors))


async def add_track(ctx: Context, playlist_id: uuid.UUID, track: Submitted[svc.TrackRef]) -> PlaylistTrack:
    owned = await _owned(ctx, playlist_id)
    track_id = track.value().track_id
    await _known_tracks(ctx, [track_id], track, "track_id")
    return await svc.add_track(owned, track_id)


async def replace_tracks(ctx: Context, playlist_id: uuid.UUID,
                         tracks: Submitted[svc.TrackReplace]) -> list[PlaylistTrack]:
    owned = await _owned(ctx, playlist_id)
    track_ids = [ref.track_id for ref in tracks.value().tracks]
    await _known_tracks(ctx, track_ids, tracks, "tracks")
    return await svc.replace_tracks(owned, track_ids)


async def remove_track(ctx: Context, playlist_id: uuid.UUID, entry_id: uuid.UUID) -> None:
    await svc.remove_track(await _owned(ctx, playlist_id), entry_id)


async def move_track(ctx: Context, playlist_id: uuid.UUID, entry_id: uuid.UUID,
                     move: Submitted[svc.EntryMove]) -> PlaylistTrack:
    owned = await _owned(ctx, playlist_id)
    return await svc.move_track(owned, entry_id, move.value().position)


async def catalog_tracks(ctx: Context, track_ids: list[str]) -> list[dict[str, Any] | None]:
    """Catalog details of each track id, in order; an unknown one is None. One batch for the list (the
    catalog service's: cache first, misses 50 ids per aggregator call, all at once): the list is already
    one batch, so no per-key loader futures. An aggregator failure without a stale entry raises
    (AggregatorError, AggregatorTimeout, ServiceUnavailable)."""
    unique = list(dict.fromkeys(track_ids))
    found = dict(zip(unique, await ctx.container.catalog.entities(TRACK, unique)))
    out: list[dict[str, Any] | None] = []
    for track_id in track_ids:
        item = found[track_id]
        if isinstance(item, NotFound):
            out.append(None)
        elif isinstance(item, BaseException):
            raise item
        else:
            out.append(item)
    return out


EntryWithTrack = tuple[EntryRow, dict[str, Any] | None]


async def _tracks_with_streams(ctx: Context, track_ids: list[str]) -> list[dict[str, Any] | None]:
    """`catalog_tracks`, each with its `streamId` (`add_stream_ids`: one batch, never failing)."""
    tracks = await catalog_tracks(ctx, track_ids)
    await _let_others_run()
    return await add_stream_ids(ctx, tracks)


async def _let_others_run() -> None:
    """One turn of the event loop: cache hits await nothing that suspends, so a long answer's steps
    would otherwise run back to back while other requests wait."""
    await asyncio.sleep(0)


async def _with_tracks(ctx: Context, chunk: list[EntryRow]) -> list[EntryWithTrack]:
    return list(zip(chunk, await _tracks_with_streams(ctx, [e.track_id for e in chunk])))


async def _warm_catalog(ctx: Context, shown: Playlist) -> None:
    """Every distinct track of the playlist looked up once, in slices of ENTRY_CHUNK (answers dropped:
    the cache keeps them, this request holds none): misses go to the aggregator 50 ids a call, and
    its failure raises here."""
    ids = await svc.track_ids(shown)
    for start in range(0, len(ids), svc.ENTRY_CHUNK):
        await _tracks_with_streams(ctx, ids[start:start + svc.ENTRY_CHUNK])
        await _let_others_run()


# Entries looked up and handed on at a time once the catalog is warm (a chunk of ENTRY_CHUNK rows is read
# in one statement, then looked up and sent in steps of this many: about 0.1 ms of the event loop each,
# so a small request waits for little whenever a long answer is being sent; bench/big_playlist.py).
_STEP = 25


async def entries_with_tracks(ctx: Context, shown: Playlist) -> AsyncIterator[list[EntryWithTrack]]:
    """The entries of a playlist this request read through a visibility check, in order, each with its
    catalog track (None when the catalog does not know it; a `streamId` added as `GET /api/tracks/{id}`
    has it), ENTRY_CHUNK at a time, whatever the length: memory and time per step stay bounded.

    The first chunk is yielded only once everything that can fail for the whole list has been tried:
    its entries read and, for a longer list, every distinct track of the playlist looked up once (the
    aggregator called 50 ids a call for the misses; the cache keeps the answers). So a database or
    aggregator failure raises before the first chunk, where the transport can still answer an error;
    later chunks read the cache. Past the first chunk, a failure (the database gone, a cache entry lost
    while the aggregator is down, an edit of the playlist committed meanwhile: `svc.EntriesChanged`)
    raises from the iterator: a transport streaming the answer then cuts it short."""
    chunks = svc.entry_chunks(shown)
    first = await anext(chunks)
    if len(first) == svc.ENTRY_CHUNK:  # more may follow
        await _warm_catalog(ctx, shown)
    yield await _with_tracks(ctx, first)
    await _let_others_run()  # between sending a chunk and reading the next
    async for chunk in chunks:
        for start in range(0, len(chunk), _STEP):  # the catalog is warm: small steps, other requests between
            await _let_others_run()
            yield await _with_tracks(ctx, chunk[start:start + _STEP])
        await _let_others_run()
