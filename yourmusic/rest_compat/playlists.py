"""#19-#29 playlists (user tokens)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field
from starlette.responses import Response

from yourmusic.context import Context
from yourmusic.errors import ValidationFailed
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.resolvers import playlists
from yourmusic.resolvers.streaming import add_stream_ids
from yourmusic.pagination import CursorArgs
from yourmusic.rest_compat.core import UDT, Call, Operation
from yourmusic.rest_compat.cursor import CURSOR_PAGE, CursorPaginator, WithCursor, cursor_response, wants_cursor
from yourmusic.rest_compat.names import PLAYLIST, PLAYLIST_ENTRY, contract_input, contract_shape
from yourmusic.rest_compat.responses import JSONResponse, no_content
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


def _entry(entry: PlaylistTrack, track: dict[str, Any] | None = None, with_track: bool = False) -> dict[str, Any]:
    out = PlaylistTrackOut.dump(entry)
    if with_track:
        out["track"] = track
    else:
        out.pop("track", None)
    return out


async def _entries(ctx: Context, entries: list[PlaylistTrack]) -> list[dict[str, Any]]:
    """Entries with their catalog track and its `streamId`, as `GET /api/tracks/{id}` has it (one batched
    catalog lookup, then one streams call per 50 tracks)."""
    tracks = await add_stream_ids(ctx, await playlists.catalog_tracks(ctx, entries))
    return [_entry(e, t, with_track=True) for e, t in zip(entries, tracks)]


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
    if wanted == "tracks":
        body["tracks"] = await _entries(call.ctx, await playlists.entries_of(found))
    return JSONResponse(body)


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
    return JSONResponse(await _entries(call.ctx, await playlists.tracks(call.ctx, call.id("playlist_id"))))


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
              description="`?with=tracks` embeds the tracks, each with its catalog `track` (and its `streamId`).", errors=(401, 403, 404, 422)),
    Operation(("PATCH", "PUT"), "/api/playlists/{playlist_id}", update, "updatePlaylist", "Update playlist", _TAG,
              "Mutation.updatePlaylist", auth=(UDT,), body=PlaylistUpdate, response=PlaylistOut, errors=_W),
    Operation(("DELETE",), "/api/playlists/{playlist_id}", delete, "deletePlaylist", "Delete playlist", _TAG,
              "Mutation.deletePlaylist", auth=(UDT,), status=204, errors=(401, 403, 404)),
    Operation(("GET",), "/api/playlists/{playlist_id}/tracks", list_tracks, "getPlaylistTracks",
              "Get playlist tracks", _TAG, "Playlist.tracks", auth=(UDT,),
              response={"type": "array", "items": {"$ref": "#/components/schemas/PlaylistTrackOut"}},
              query=ListQuery, alternates=((CURSOR_PAGE, CursorPaginator[PlaylistTrackOut]),),
              errors=(401, 403, 404, 422)),
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
