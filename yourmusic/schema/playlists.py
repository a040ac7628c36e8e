"""Playlists in GraphQL; each entry's `track` comes from the catalog through the TrackById loader."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from yourmusic import models
from yourmusic.resolvers import catalog as catalog_resolvers
from yourmusic.resolvers import playlists as resolvers
from yourmusic.rest_compat.names import PLAYLIST, PLAYLIST_ENTRY
from yourmusic.schema.catalog import Track
from yourmusic.schema.info import Info, entity_id, submitted
from yourmusic.schema.pagination import CURSOR_ERRORS, CURSOR_NAMES, After, Connection, First, PageMeta, cursor_args
from yourmusic.services import playlists as svc
from yourmusic.services.catalog import TRACK
from yourmusic.validation import Submitted

D = strawberry.field
A = strawberry.argument
# Every playlist operation needs a user token (a UDT or a session access token).
USER_ERRORS = "UNAUTHENTICATED or INVALID_AUTH_TOKEN (no, or a bad, user token), FORBIDDEN (a client token)"
OWNER_ERRORS = (USER_ERRORS + ", NOT_FOUND (no such playlist, or another user's private one), FORBIDDEN (another "
                "user's public playlist: only the owner may change it)")
PlaylistId = Annotated[strawberry.ID, A(description="The playlist's id (UUID).")]
EntryId = Annotated[strawberry.ID, A(description="The entry's id (UUID): a PlaylistTrack's `id`, not the catalog "
                                                 "track's.")]


@strawberry.type(description="Who made a playlist (no contact details: other users may read public playlists).")
class PlaylistOwner:
    id: strawberry.ID = D(description="The owner's user id (UUID).")


@strawberry.type(description="One entry of a playlist: a catalog track at a position.")
class PlaylistTrack:
    id: strawberry.ID = D(description="The entry's id (UUID); the same track may be in a playlist twice.")
    order: int = D(description="1-based position in the playlist.")
    added_at: datetime = D(description="When the entry was added (UTC).")
    track_id: strawberry.ID = D(description="The catalog track's id (the aggregator's).")

    @classmethod
    def of(cls, e: models.PlaylistTrack | svc.EntryRow) -> PlaylistTrack:
        return cls(id=strawberry.ID(str(e.id)), order=e.position, added_at=e.created_at,
                   track_id=strawberry.ID(e.track_id))

    @strawberry.field(description="The catalog track, from the aggregator (batched: TrackById); null with NOT_FOUND "
                                  "if the catalog no longer has it; AGGREGATOR_ERROR, AGGREGATOR_TIMEOUT, "
                                  "SERVICE_UNAVAILABLE when the aggregator fails.")
    def track(self, info: Info) -> Track | None:  # the built track, or an awaitable of it (schema/catalog.py)
        return catalog_resolvers.entity_field(info.context, TRACK, self.track_id, Track.of)  # type: ignore[return-value]


@strawberry.type(description="A user's playlist of catalog tracks; private unless `public`.")
class Playlist:
    id: strawberry.ID = D(description="The playlist's id (UUID).")
    name: str = D(description="The playlist's name (1..255 characters); REST calls it `playlist_name`.")
    public: bool = D(description="True: every user of the tenant may read it (and find it with searchPlaylists).")
    owner: PlaylistOwner = D(description="The user who made it; only they may change it.")
    track_count: int = D(description="Number of entries (0..10000).")
    created_at: datetime = D(description="When it was created (UTC).")
    updated_at: datetime = D(description="When it or its entries last changed (UTC).")
    # The row, when this playlist was read through a visibility check in this request (not for values
    # such as the home page's cards): its tracks are then read without reading the playlist again.
    row: strawberry.Private[models.Playlist | None] = None

    @classmethod
    def of(cls, p: models.Playlist | svc.PlaylistCard) -> Playlist:
        """From a playlist row or value (the same attributes)."""
        return cls(id=strawberry.ID(str(p.id)), name=p.name, public=p.public,
                   owner=PlaylistOwner(id=strawberry.ID(str(p.user_id))),  # type: ignore[union-attr]
                   track_count=p.track_count, created_at=p.created_at, updated_at=p.updated_at,
                   row=p if isinstance(p, models.Playlist) else None)

    @strawberry.field(description="The entries in order, from `offset`; at most `limit`.")
    async def tracks(self, info: Info,
                     offset: Annotated[int, A(description="Entries to skip (0-based).")] = 0,
                     limit: Annotated[int, A(description="Entries to return (0..500; larger values are cut "
                                                         "to 500).")] = 100) -> list[PlaylistTrack]:
        limit = max(0, min(limit, 500))
        if self.row is not None:
            entries = await resolvers.entries_of(self.row, offset, limit)
        else:
            entries = await resolvers.tracks(info.context, entity_id(self.id), offset, limit)
        return [PlaylistTrack.of(e) for e in entries]

    @strawberry.field(description="The entries in order, as a keyset (cursor) connection. Errors: " + CURSOR_ERRORS
                      + ".")
    async def tracks_connection(self, info: Info, first: First = 15, after: After = None) -> Connection[PlaylistTrack]:
        args = cursor_args(first, after)
        if self.row is not None:
            page = await resolvers.walk_entries_of(info.context, self.row, args)
        else:
            page = await resolvers.walk_tracks(info.context, entity_id(self.id), args)
        return Connection.of(page, PlaylistTrack.of)


@strawberry.type(description="One page of playlists, as REST's Laravel paginator.")
class PlaylistPage:
    data: list[Playlist] = D(description="The playlists of this page (at most perPage).")
    meta: PageMeta = D(description="Page numbers and totals.")


@strawberry.input(description="A new playlist of the caller.")
class CreatePlaylistInput:
    name: str = D(description="The playlist's name (1..255 characters).")
    public: bool = D(default=False, description="True: every user of the tenant may read it. Default false.")


@strawberry.input(description="Partial: only the fields given change; an explicit null is VALIDATION_FAILED.")
class UpdatePlaylistInput:
    name: str | None = D(default=strawberry.UNSET, description="The new name (1..255 characters).")
    public: bool | None = D(default=strawberry.UNSET, description="The new visibility.")


@strawberry.type
class PlaylistsQuery:
    @strawberry.field(description="One playlist: the caller's own, or a public one of the tenant (user token). "
                      "Errors: " + USER_ERRORS + ", NOT_FOUND (no such playlist, or another user's private one).")
    async def playlist(self, info: Info, id: PlaylistId) -> Playlist:
        return Playlist.of(await resolvers.playlist(info.context, entity_id(id)))

    @strawberry.field(description="The caller's playlists, newest first (user token). Errors: " + USER_ERRORS + ".")
    async def my_playlists(self, info: Info) -> list[Playlist]:
        return [Playlist.of(p) for p in await resolvers.my_playlists(info.context)]

    @strawberry.field(description="The caller's playlists, newest first, as a keyset (cursor) connection (user "
                                  "token). Errors: " + USER_ERRORS + ", " + CURSOR_ERRORS + ".")
    async def my_playlists_connection(self, info: Info, first: First = 15, after: After = None) -> Connection[Playlist]:
        return Connection.of(await resolvers.walk_my_playlists(info.context, cursor_args(first, after)), Playlist.of)

    @strawberry.field(description="As `searchPlaylists`, as a keyset (cursor) connection, by name; a cursor is "
                                  "valid for the keyword it was issued for (user token). Errors: " + USER_ERRORS
                                  + ", " + CURSOR_ERRORS + " or a keyword empty or longer than 255.")
    async def search_playlists_connection(self, info: Info,
                                          keyword: Annotated[str, A(description="Text the name must contain, "
                                                                                "ignoring case and accents (1..255 "
                                                                                "characters).")],
                                          first: First = 15, after: After = None) -> Connection[Playlist]:
        query = Submitted(svc.PlaylistSearchWalk, {"keyword": keyword, "per_page": first, "cursor": after},
                          CURSOR_NAMES)
        return Connection.of(await resolvers.walk_search(info.context, query), Playlist.of)

    @strawberry.field(description="The caller's playlists and the tenant's public ones whose name contains "
                      "`keyword`, ignoring case and accents, paginated (user token). Errors: " + USER_ERRORS
                      + ", VALIDATION_FAILED (keyword empty or longer than 255, page or perPage out of range).")
    async def search_playlists(self, info: Info,
                               keyword: Annotated[str, A(description="Text the name must contain (1..255 "
                                                                     "characters).")],
                               page: Annotated[int, A(description="1-based page number.")] = 1,
                               per_page: Annotated[int, A(description="Playlists per page (1..100, default 15).")]
                               = 15) -> PlaylistPage:
        query = Submitted(svc.PlaylistSearch, {"keyword": keyword, "page": page, "per_page": per_page})
        found = await resolvers.search(info.context, query)
        return PlaylistPage(data=[Playlist.of(p) for p in found.items], meta=PageMeta.of(found))


@strawberry.type
class PlaylistsMutation:
    @strawberry.mutation(description="Creates an empty playlist for the caller (user token). Errors: " + USER_ERRORS
                         + ", VALIDATION_FAILED (name missing or too long; named `playlist_name`).")
    async def create_playlist(self, info: Info,
                              input: Annotated[CreatePlaylistInput, A(description="The new playlist.")]) -> Playlist:
        return Playlist.of(await resolvers.create(info.context, submitted(svc.NewPlaylist, input, PLAYLIST)))

    @strawberry.mutation(description="Renames the caller's playlist or changes its visibility (user token). "
                         "Errors: " + OWNER_ERRORS + ", VALIDATION_FAILED.")
    async def update_playlist(self, info: Info, id: PlaylistId,
                              input: Annotated[UpdatePlaylistInput, A(description="The fields to change.")]
                              ) -> Playlist:
        update = submitted(svc.PlaylistUpdate, input, PLAYLIST)
        return Playlist.of(await resolvers.update(info.context, entity_id(id), update))

    @strawberry.mutation(description="Deletes the caller's playlist and its entries (user token). True when done. "
                         "Errors: " + OWNER_ERRORS + ".")
    async def delete_playlist(self, info: Info, id: PlaylistId) -> bool:
        await resolvers.delete(info.context, entity_id(id))
        return True

    @strawberry.mutation(description="Appends one catalog track (user token); the track is checked with the "
                         "aggregator. Errors: " + OWNER_ERRORS + ", VALIDATION_FAILED (`track_id` malformed or not in "
                         "the catalog; the playlist holds 10000 already), AGGREGATOR_ERROR, AGGREGATOR_TIMEOUT.")
    async def add_track_to_playlist(self, info: Info, playlist_id: PlaylistId,
                                    track_id: Annotated[strawberry.ID, A(description="The catalog track's id (the "
                                                                                     "aggregator's).")]
                                    ) -> PlaylistTrack:
        track = Submitted(svc.TrackRef, {"track_id": track_id})
        return PlaylistTrack.of(await resolvers.add_track(info.context, entity_id(playlist_id), track))

    @strawberry.mutation(description="Sets the whole list, in this order (at most 100 tracks; user token); every "
                         "track is checked with the aggregator. Errors: " + OWNER_ERRORS + ", VALIDATION_FAILED "
                         "(more than 100, or a track not in the catalog), AGGREGATOR_ERROR, AGGREGATOR_TIMEOUT.")
    async def replace_playlist_tracks(self, info: Info, playlist_id: PlaylistId,
                                      track_ids: Annotated[list[strawberry.ID],
                                                           A(description="Catalog track ids, in the new order "
                                                                         "(0..100; repeats allowed).")]
                                      ) -> list[PlaylistTrack]:
        tracks = Submitted(svc.TrackReplace, {"tracks": [{"track_id": t} for t in track_ids]})
        return [PlaylistTrack.of(e) for e in await resolvers.replace_tracks(info.context, entity_id(playlist_id), tracks)]

    @strawberry.mutation(description="Removes one entry; those after it move up (user token). True when done. "
                         "Errors: " + OWNER_ERRORS + ", NOT_FOUND (no such entry in this playlist).")
    async def remove_playlist_track(self, info: Info, playlist_id: PlaylistId,
                                    playlist_track_id: EntryId) -> bool:
        await resolvers.remove_track(info.context, entity_id(playlist_id), entity_id(playlist_track_id))
        return True

    @strawberry.mutation(description="Moves one entry to `order` (past the end means last; user token). Errors: "
                         + OWNER_ERRORS + ", NOT_FOUND (no such entry), VALIDATION_FAILED (order out of range).")
    async def move_playlist_track(self, info: Info, playlist_id: PlaylistId, playlist_track_id: EntryId,
                                  order: Annotated[int, A(description="The new 1-based position (1..10000).")]
                                  ) -> PlaylistTrack:
        move = Submitted(svc.EntryMove, {"position": order}, PLAYLIST_ENTRY)
        entry = await resolvers.move_track(info.context, entity_id(playlist_id), entity_id(playlist_track_id), move)
        return PlaylistTrack.of(entry)
