"""Playlists in GraphQL; each entry's `track` comes from the catalog through the TrackById loader."""

from __future__ import annotations

from datetime import datetime

import strawberry

from yourmusic import models
from yourmusic.resolvers import catalog as catalog_resolvers
from yourmusic.resolvers import playlists as resolvers
from yourmusic.rest_compat.names import PLAYLIST, PLAYLIST_ENTRY
from yourmusic.schema.catalog import Track
from yourmusic.schema.info import Info, entity_id, submitted
from yourmusic.schema.pagination import PageMeta
from yourmusic.services import playlists as svc
from yourmusic.validation import Submitted


@strawberry.type(description="Who made a playlist (no contact details: other users may read public playlists).")
class PlaylistOwner:
    id: strawberry.ID


@strawberry.type
class PlaylistTrack:
    id: strawberry.ID
    order: int
    added_at: datetime
    track_id: strawberry.ID

    @classmethod
    def of(cls, e: models.PlaylistTrack) -> PlaylistTrack:
        return cls(id=strawberry.ID(str(e.id)), order=e.position, added_at=e.created_at,
                   track_id=strawberry.ID(e.track_id))

    @strawberry.field(description="The catalog track; null (with an error) if the catalog no longer has it.")
    async def track(self, info: Info) -> Track | None:
        return Track.of(await catalog_resolvers.load_track(info.context, self.track_id))


@strawberry.type
class Playlist:
    id: strawberry.ID
    name: str
    public: bool
    owner: PlaylistOwner
    track_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: models.Playlist | svc.PlaylistCard) -> Playlist:
        """From a playlist row or value (the same attributes)."""
        return cls(id=strawberry.ID(str(p.id)), name=p.name, public=p.public,
                   owner=PlaylistOwner(id=strawberry.ID(str(p.user_id))),  # type: ignore[union-attr]
                   track_count=p.track_count, created_at=p.created_at, updated_at=p.updated_at)

    @strawberry.field
    async def tracks(self, info: Info, offset: int = 0, limit: int = 100) -> list[PlaylistTrack]:
        limit = max(0, min(limit, 500))
        entries = await resolvers.tracks(info.context, entity_id(self.id), offset, limit)
        return [PlaylistTrack.of(e) for e in entries]


@strawberry.type
class PlaylistPage:
    data: list[Playlist]
    meta: PageMeta


@strawberry.input
class CreatePlaylistInput:
    name: str
    public: bool = False


@strawberry.input(description="Partial: only the fields given change.")
class UpdatePlaylistInput:
    name: str | None = strawberry.UNSET
    public: bool | None = strawberry.UNSET


@strawberry.type
class PlaylistsQuery:
    @strawberry.field
    async def playlist(self, info: Info, id: strawberry.ID) -> Playlist:
        return Playlist.of(await resolvers.playlist(info.context, entity_id(id)))

    @strawberry.field(description="The caller's playlists, newest first.")
    async def my_playlists(self, info: Info) -> list[Playlist]:
        return [Playlist.of(p) for p in await resolvers.my_playlists(info.context)]

    @strawberry.field(description="The caller's playlists and the tenant's public ones whose name contains keyword.")
    async def search_playlists(self, info: Info, keyword: str, page: int = 1, per_page: int = 15) -> PlaylistPage:
        query = Submitted(svc.PlaylistSearch, {"keyword": keyword, "page": page, "per_page": per_page})
        found = await resolvers.search(info.context, query)
        return PlaylistPage(data=[Playlist.of(p) for p in found.items], meta=PageMeta.of(found))


@strawberry.type
class PlaylistsMutation:
    @strawberry.mutation
    async def create_playlist(self, info: Info, input: CreatePlaylistInput) -> Playlist:
        return Playlist.of(await resolvers.create(info.context, submitted(svc.NewPlaylist, input, PLAYLIST)))

    @strawberry.mutation
    async def update_playlist(self, info: Info, id: strawberry.ID, input: UpdatePlaylistInput) -> Playlist:
        update = submitted(svc.PlaylistUpdate, input, PLAYLIST)
        return Playlist.of(await resolvers.update(info.context, entity_id(id), update))

    @strawberry.mutation
    async def delete_playlist(self, info: Info, id: strawberry.ID) -> bool:
        await resolvers.delete(info.context, entity_id(id))
        return True

    @strawberry.mutation(description="Appends one track.")
    async def add_track_to_playlist(self, info: Info, playlist_id: strawberry.ID, track_id: strawberry.ID) -> PlaylistTrack:
        track = Submitted(svc.TrackRef, {"track_id": track_id})
        return PlaylistTrack.of(await resolvers.add_track(info.context, entity_id(playlist_id), track))

    @strawberry.mutation(description="Sets the whole list, in this order (at most 100 tracks).")
    async def replace_playlist_tracks(self, info: Info, playlist_id: strawberry.ID,
                                      track_ids: list[strawberry.ID]) -> list[PlaylistTrack]:
        tracks = Submitted(svc.TrackReplace, {"tracks": [{"track_id": t} for t in track_ids]})
        return [PlaylistTrack.of(e) for e in await resolvers.replace_tracks(info.context, entity_id(playlist_id), tracks)]

    @strawberry.mutation
    async def remove_playlist_track(self, info: Info, playlist_id: strawberry.ID,
                                    playlist_track_id: strawberry.ID) -> bool:
        await resolvers.remove_track(info.context, entity_id(playlist_id), entity_id(playlist_track_id))
        return True

    @strawberry.mutation(description="Moves one entry to `order` (past the end means last).")
    async def move_playlist_track(self, info: Info, playlist_id: strawberry.ID, playlist_track_id: strawberry.ID,
                                  order: int) -> PlaylistTrack:
        move = Submitted(svc.EntryMove, {"position": order}, PLAYLIST_ENTRY)
        entry = await resolvers.move_track(info.context, entity_id(playlist_id), entity_id(playlist_track_id), move)
        return PlaylistTrack.of(entry)
