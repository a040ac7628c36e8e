"""#19-#29 playlists (user tokens)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from operator import attrgetter
from typing import Any

import orjson
from pydantic import Field
from starlette.responses import Response

from yourmusic.errors import ValidationFailed
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.resolvers import playlists
from yourmusic.pagination import CursorArgs
from yourmusic.rest_compat.core import UDT, Call, Operation
from yourmusic.rest_compat.cursor import CURSOR_PAGE, CursorPaginator, WithCursor, cursor_response, wants_cursor
from yourmusic.rest_compat.names import PLAYLIST, PLAYLIST_ENTRY, contract_input, contract_shape
from yourmusic.rest_compat.responses import JSONResponse, JSONStreamResponse, no_content
from yourmusic.rest_compat.shapes import Paginator, Shape, paginator
from yourmusic.services import playlists as svc
from yourmusic.services.playlists import PlaylistSearch, TrackRef, TrackReplace
from yourmusic.validation import Input

PlaylistCreate = contract_input(svc.NewPlaylist, "PlaylistCreate", PLAYLIST)
PlaylistUpdate = contract_input(svc.PlaylistUpdate, "PlaylistUpdate", PLAYLIST)
TrackMove = contract_input(svc.EntryMove, "TrackMove", PLAYLIST_ENTRY)
PlaylistOut = contract_shape(svc.PlaylistCard, "PlaylistOut", PLAYLIST, omit=("track_count",))


class PlaylistTrackOut(Shape):
    id: uuid.UUID
    playlist_id: uuid.UUID
    track_id: str
    order: int = Field(validation_alias="position", serialization_alias="order")
    created_at: datetime
    updated_at: datetime
    track: dict[str, Any] | None = Field(default=None, description="Catalog details (aggregator's track JSON, plus "
                                         "its `streamId`, null when not streamable).")


class PlaylistWithTracksOut(PlaylistOut):  # type: ignore[valid-type,misc]
    # Only with `?with=tracks` (schemathesis: the schema required it on every answer).
    tracks: list[PlaylistTrackOut] = Field(default_factory=list, description="Present with `?with=tracks`.")


class SearchQuery(WithCursor, PlaylistSearch):
    pass


class ListQuery(WithCursor):
    per_page: int = Field(default=15, ge=1, le=100, description="Items per page, with `cursor` only (1..100, "
                                                                  "default 15; without it the whole list).")


class WithQuery(Input):
    with_: str | None = Field(default=None, alias="with", pattern=r"^tracks$")


def _entry(entry: PlaylistTrack) -> dict[str, Any]:
    """An entry an edit answers (no catalog `track`)."""
    out = PlaylistTrackOut.dump(entry)
    out.pop("track", None)
    return out


# PlaylistTrackOut's keys, each with the EntryRow attribute it shows (`order`: `position`), in its order.
_ENTRY_KEYS = tuple((f.serialization_alias or name, f.validation_alias or name)
                    for name, f in PlaylistTrackOut.model_fields.items())
_ENTRY_VALUES = attrgetter(*(attr for key, attr in _ENTRY_KEYS if key != "track"))
_ENTRY_NAMES = tuple(key for key, _ in _ENTRY_KEYS if key != "track") + ("track",)


def _entries_json(chunk: list[tuple[svc.EntryRow, dict[str, Any] | None]]) -> bytes:
    """A chunk of entries, each with its catalog `track`, as the members of a JSON array (no brackets):
    the bytes `PlaylistTrackOut.dump` and JSONResponse give (orjson writes the UUIDs and times, UTC as
    `Z` like pydantic), without a model per entry."""
    rows = [dict(zip(_ENTRY_NAMES, (*_ENTRY_VALUES(e), track))) for e, track in chunk]
    return orjson.dumps(rows, default=_uuid_text, option=orjson.OPT_UTC_Z)[1:-1]


def _uuid_text(value: Any) -> str:
    """asyncpg's UUID type (orjson writes only `uuid.UUID` itself)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


async def _entries_response(call: Call, shown: Playlist, head: bytes = b"[", tail: bytes = b"]") -> Response:
    """`head`, the playlist's entries with their catalog tracks as JSON array members, `tail`: streamed a
    chunk at a time (`playlists.entries_with_tracks`), so no step of a 10,000-entry answer holds the
    event loop or the whole body. Whatever fails before the first chunk (the database, the aggregator)
    is still the contract's error answer; a failure later (or an edit of the playlist committed while
    a long list was read) cuts the stream short: no final chunk, the client sees a broken transfer,
    never a complete-looking answer."""
    chunks = playlists.entries_with_tracks(call.ctx, shown)
    first = _entries_json(await anext(chunks))

    async def body() -> AsyncIterator[bytes]:
        yield head + first
        written = bool(first)
        async for chunk in chunks:
            await asyncio.sleep(0)  # other requests run between looking a chunk up and encoding it
            part = _entries_json(chunk)
            yield b"," + part if written else part
            written = True
        yield tail

    return JSONStreamResponse(body())


async def search(call: Call) -> Response:
    if wants_cursor(call.request):
        found = await playlists.walk_search(call.ctx, call.query_as(svc.PlaylistSearchWalk))
        return cursor_response(call.request, found, PlaylistOut)
    page = await playlists.search(call.ctx, call.query_as(PlaylistSearch))
    return JSONResponse(paginator(call.request, page, PlaylistOut))


async def mine(call: Call) -> Response:
    if wants_cursor(call.request):
        return cursor_response(call.request, await playlists.walk_my_playlists(call.ctx, call.query_as(CursorArgs)),
                               PlaylistOut)
    return JSONResponse([PlaylistOut.dump(p) for p in await playlists.my_playlists(call.ctx)])


async def create(call: Call) -> Response:
    return JSONResponse(PlaylistOut.dump(await playlists.create(call.ctx, await call.body(PlaylistCreate))), status_code=201)


async def get(call: Call) -> Response:
    wanted = call.query.get("with")
    if wanted is not None and wanted != "tracks":
        raise ValidationFailed.field("with", "The selected with is invalid.")
    found: Playlist = await playlists.playlist(call.ctx, call.id("playlist_id"))
    body = PlaylistOut.dump(found)
    if wanted != "tracks":
        return JSONResponse(body)
    # The playlist's object with a last member `tracks`, streamed: the bytes of {**body, "tracks": [...]}.
    return await _entries_response(call, found, orjson.dumps(body)[:-1] + b',"tracks":[', b"]}")


async def update(call: Call) -> Response:
    found = await playlists.update(call.ctx, call.id("playlist_id"), await call.body(PlaylistUpdate))
    return JSONResponse(PlaylistOut.dump(found))


async def delete(call: Call) -> Response:
    await playlists.delete(call.ctx, call.id("playlist_id"))
    return no_content()


async def list_tracks(call: Call) -> Response:
    if wants_cursor(call.request):
        page = await playlists.walk_tracks(call.ctx, call.id("playlist_id"), call.query_as(CursorArgs))
        return cursor_response(call.request, page, PlaylistTrackOut)
    return await _entries_response(call, await playlists.playlist(call.ctx, call.id("playlist_id")))


async def add_track(call: Call) -> Response:
    entry = await playlists.add_track(call.ctx, call.id("playlist_id"), await call.body(TrackRef))
    return JSONResponse(_entry(entry), status_code=201)


async def replace_tracks(call: Call) -> Response:
    entries = await playlists.replace_tracks(call.ctx, call.id("playlist_id"), await call.body(TrackReplace))
    return JSONResponse([_entry(e) for e in entries])


async def remove_track(call: Call) -> Response:
    await playlists.remove_track(call.ctx, call.id("playlist_id"), call.id("playlistTrackId"))
    return no_content()


async def move_track(call: Call) -> Response:
    entry = await playlists.move_track(call.ctx, call.id("playlist_id"), call.id("playlistTrackId"),
                                       await call.body(TrackMove))
    return JSONResponse(_entry(entry))


_TAG = "Playlists"
_STREAMED = ("The whole list is sent as it is read (chunked transfer, no Content-Length). An error found "
             "before the first byte is answered as usual; one found later (or an edit of the playlist while "
             "a long list is read) cuts the transfer short: retry.")
_W = (401, 403, 404, 422)
_TRACK = "/api/playlists/{playlist_id}/tracks/{playlistTrackId}"
OPERATIONS = [
    Operation(("GET",), "/api/playlists/search", search, "searchPlaylists", "Search playlists", _TAG,
              "Query.searchPlaylists", auth=(UDT,), query=SearchQuery, response=Paginator[PlaylistOut],
              alternates=((CURSOR_PAGE, CursorPaginator[PlaylistOut]),),
              description="Playlists whose name contains the keyword: the caller's own and the public ones of "
                          "the tenant.", errors=(401, 403, 422)),
    Operation(("GET",), "/api/playlists", mine, "listPlaylists", "List user playlists", _TAG, "Query.myPlaylists",
              auth=(UDT,), response={"type": "array", "items": {"$ref": "#/components/schemas/PlaylistOut"}},
              query=ListQuery, alternates=((CURSOR_PAGE, CursorPaginator[PlaylistOut]),),
              description="The caller's playlists, newest first.", errors=(401, 403, 422)),
    Operation(("POST",), "/api/playlists", create, "createPlaylist", "Create playlist", _TAG,
              "Mutation.createPlaylist", auth=(UDT,), body=PlaylistCreate, response=PlaylistOut, status=201,
              errors=(401, 403, 422)),
    Operation(("GET",), "/api/playlists/{playlist_id}", get, "getPlaylist", "Get playlist", _TAG, "Query.playlist",
              auth=(UDT,), query=WithQuery, response=PlaylistWithTracksOut,
              description="`?with=tracks` embeds the tracks, each with its catalog `track` (and its `streamId`). "
                          + _STREAMED, errors=(401, 403, 404, 422)),
    Operation(("PATCH", "PUT"), "/api/playlists/{playlist_id}", update, "updatePlaylist", "Update playlist", _TAG,
              "Mutation.updatePlaylist", auth=(UDT,), body=PlaylistUpdate, response=PlaylistOut, errors=_W),
    Operation(("DELETE",), "/api/playlists/{playlist_id}", delete, "deletePlaylist", "Delete playlist", _TAG,
              "Mutation.deletePlaylist", auth=(UDT,), status=204, errors=(401, 403, 404)),
    Operation(("GET",), "/api/playlists/{playlist_id}/tracks", list_tracks, "getPlaylistTracks",
              "Get playlist tracks", _TAG, "Playlist.tracks", auth=(UDT,),
              response={"type": "array", "items": {"$ref": "#/components/schemas/PlaylistTrackOut"}},
              query=ListQuery, alternates=((CURSOR_PAGE, CursorPaginator[PlaylistTrackOut]),),
              description="Without `cursor`: the whole list in order, each entry with its catalog `track` (and "
                          "its `streamId`). " + _STREAMED, errors=(401, 403, 404, 422)),
    Operation(("POST",), "/api/playlists/{playlist_id}/tracks", add_track, "addPlaylistTrack",
              "Add track to playlist", _TAG, "Mutation.addTrackToPlaylist", auth=(UDT,), body=TrackRef,
              response=PlaylistTrackOut, status=201, errors=_W),
    Operation(("PUT",), "/api/playlists/{playlist_id}/tracks", replace_tracks, "replacePlaylistTracks",
              "Update playlist tracks", _TAG, "Mutation.replacePlaylistTracks", auth=(UDT,), body=TrackReplace,
              response={"type": "array", "items": {"$ref": "#/components/schemas/PlaylistTrackOut"}},
              description="Replaces all tracks with the given ones, in order (at most 100).", errors=_W),
    Operation(("DELETE",), _TRACK, remove_track, "removePlaylistTrack", "Remove track from playlist", _TAG,
              "Mutation.removePlaylistTrack", auth=(UDT,), status=204, errors=(401, 403, 404)),
    Operation(("PATCH",), _TRACK, move_track, "movePlaylistTrack", "Move track within playlist", _TAG,
              "Mutation.movePlaylistTrack", auth=(UDT,), body=TrackMove, response=PlaylistTrackOut, errors=_W),
]
