"""Playlists in GraphQL; each entry's `track` comes from the catalog through the TrackById loader."""

from __future__ import annotations

from datetime import datetime

import strawberry

from yourmusic import models
from yourmusic.resolvers import catalog as catalog_resolvers
from yourmusic.resolvers import playlists as resolvers
from yourmusic.schema.catalog import Track
from yourmusic.schema.info import Info
from yourmusic.schema.pagination import PageMeta


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
    def of(cls, p: models.Playlist) -> Playlist:
        return cls(id=strawberry.ID(str(p.id)), name=p.name, public=p.public,
                   owner=PlaylistOwner(id=strawberry.ID(str(p.user_id))),  # type: ignore[attr-defined]
                   track_count=p.track_count, created_at=p.created_at, updated_at=p.updated_at)

    @classmethod
    def from_json(cls, d: dict) -> Playlist:
        """From the contract's JSON shape (how the home page keeps playlists in its shared cache)."""
        return cls(id=strawberry.ID(d["id"]), name=d["playlist_name"], public=d["public"],
                   owner=PlaylistOwner(id=strawberry.ID(d["user_id"])), track_count=d.get("track_count", 0),
                   created_at=datetime.fromisoformat(d["created_at"]), updated_at=datetime.fromisoformat(d["updated_at"]))

    @strawberry.field
    async def tracks(self, info: Info, offset: int = 0, limit: int = 100) -> list[PlaylistTrack]:
        limit = max(0, min(limit, 500))
        return [PlaylistTrack.of(e) for e in await resolvers.tracks(info.context, self.id, offset, limit)]


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


def _playlist_body(value: CreatePlaylistInput | UpdatePlaylistInput) -> dict[str, object]:
    out: dict[str, object] = {}
    if value.name is not strawberry.UNSET:
        out["playlist_name"] = value.name
    if value.public is not strawberry.UNSET:
        out["public"] = value.public
    return out


@strawberry.type
class PlaylistsQuery:
    @strawberry.field
    async def playlist(self, info: Info, id: strawberry.ID) -> Playlist:
        return Playlist.of(await resolvers.playlist(info.context, id))

    @strawberry.field(description="The caller's playlists, newest first.")
    async def my_playlists(self, info: Info) -> list[Playlist]:
        return [Playlist.of(p) for p in await resolvers.my_playlists(info.context)]

    @strawberry.field(description="The caller's playlists and the tenant's public ones whose name contains keyword.")
    async def search_playlists(self, info: Info, keyword: str, page: int = 1, per_page: int = 15) -> PlaylistPage:
        found = await resolvers.search(info.context, {"keyword": keyword, "page": page, "per_page": per_page})
        return PlaylistPage(data=[Playlist.of(p) for p in found.items], meta=PageMeta.of(found))


@strawberry.type
class PlaylistsMutation:
    @strawberry.mutation
    async def create_playlist(self, info: Info, input: CreatePlaylistInput) -> Playlist:
        return Playlist.of(await resolvers.create(info.context, _playlist_body(input)))

    @strawberry.mutation
    async def update_playlist(self, info: Info, id: strawberry.ID, input: UpdatePlaylistInput) -> Playlist:
        return Playlist.of(await resolvers.update(info.context, id, _playlist_body(input)))

    @strawberry.mutation
    async def delete_playlist(self, info: Info, id: strawberry.ID) -> bool:
        await resolvers.delete(info.context, id)
        return True

    @strawberry.mutation(description="Appends one track.")
    async def add_track_to_playlist(self, info: Info, playlist_id: strawberry.ID, track_id: strawberry.ID) -> PlaylistTrack:
        return PlaylistTrack.of(await resolvers.add_track(info.context, playlist_id, {"track_id": track_id}))

    @strawberry.mutation(description="Sets the whole list, in this order (at most 100 tracks).")
    async def replace_playlist_tracks(self, info: Info, playlist_id: strawberry.ID,
                                      track_ids: list[strawberry.ID]) -> list[PlaylistTrack]:
        body = {"tracks": [{"track_id": t} for t in track_ids]}
        return [PlaylistTrack.of(e) for e in await resolvers.replace_tracks(info.context, playlist_id, body)]

    @strawberry.mutation
    async def remove_playlist_track(self, info: Info, playlist_id: strawberry.ID,
                                    playlist_track_id: strawberry.ID) -> bool:
        await resolvers.remove_track(info.context, playlist_id, playlist_track_id)
        return True

    @strawberry.mutation(description="Moves one entry to `order` (past the end means last).")
    async def move_playlist_track(self, info: Info, playlist_id: strawberry.ID, playlist_track_id: strawberry.ID,
                                  order: int) -> PlaylistTrack:
        entry = await resolvers.move_track(info.context, playlist_id, playlist_track_id, {"order": order})
        return PlaylistTrack.of(entry)
