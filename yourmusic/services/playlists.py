"""Playlists: visibility, CRUD, search, and dense ordered track lists under concurrent edits.

Every track-list edit runs in one transaction holding a lock on the playlist row (PostgreSQL
`SELECT ... FOR UPDATE`; SQLite serialises writers), so two edits of one playlist never interleave
and the positions stay exactly 1..n.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from yourmusic.errors import Forbidden, InvalidAuthToken, NotFound, ValidationFailed
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.pagination import Page, PageArgs, paginate
from yourmusic.services.scoping import of_tenant, parse_id
from yourmusic.validation import Input, Name, given, parse

MAX_TRACKS = 10_000
MAX_REPLACE = 100
TrackId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class PlaylistCreate(Input):
    playlist_name: Name
    public: bool = False


class PlaylistUpdate(Input):
    playlist_name: Name = None  # type: ignore[assignment]
    public: bool = None  # type: ignore[assignment]


class TrackRef(Input):
    track_id: str = TrackId


class TrackReplace(Input):
    tracks: list[TrackRef] = Field(max_length=MAX_REPLACE)


class TrackMove(Input):
    order: int = Field(ge=1, le=MAX_TRACKS)


class PlaylistSearch(PageArgs):
    keyword: str = Field(min_length=1, max_length=255)


_NOT_FOUND = "Playlist not found."


async def get_visible(tenant_id: uuid.UUID, user_id: uuid.UUID, playlist_id: Any) -> Playlist:
    """Owner: always; another user of the tenant: public ones only; everyone else: not found."""
    pk = parse_id(playlist_id)
    playlist = None if pk is None else await of_tenant(Playlist, tenant_id).get_or_none(id=pk)
    if playlist is None or (playlist.user_id != user_id and not playlist.public):  # type: ignore[attr-defined]
        raise NotFound(_NOT_FOUND)
    return playlist


async def get_owned(tenant_id: uuid.UUID, user_id: uuid.UUID, playlist_id: Any) -> Playlist:
    playlist = await get_visible(tenant_id, user_id, playlist_id)
    if playlist.user_id != user_id:  # type: ignore[attr-defined]
        raise Forbidden("Only the owner may change this playlist.")
    return playlist


async def create(tenant_id: uuid.UUID, user_id: uuid.UUID, data: Any) -> Playlist:
    body = parse(PlaylistCreate, data)
    try:
        return await Playlist.create(tenant_id=tenant_id, user_id=user_id, name=body.playlist_name, public=body.public)
    except IntegrityError:  # a user token of a user deleted since (found by schemathesis): the token is wrong
        raise InvalidAuthToken() from None


async def update(tenant_id: uuid.UUID, user_id: uuid.UUID, playlist_id: Any, data: Any) -> Playlist:
    playlist = await get_owned(tenant_id, user_id, playlist_id)
    changes = given(parse(PlaylistUpdate, data))
    if not changes:
        return playlist
    if "playlist_name" in changes:
        playlist.name = changes["playlist_name"]
    if "public" in changes:
        playlist.public = changes["public"]
    await playlist.save(update_fields=["name", "public", "updated_at"])
    return playlist


async def delete(tenant_id: uuid.UUID, user_id: uuid.UUID, playlist_id: Any) -> None:
    playlist = await get_owned(tenant_id, user_id, playlist_id)
    await playlist.delete()  # entries go with it (ON DELETE CASCADE)


async def mine(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[Playlist]:
    return await of_tenant(Playlist, tenant_id).filter(user_id=user_id).order_by("-created_at", "-id")


async def search(tenant_id: uuid.UUID, user_id: uuid.UUID, args: dict[str, Any]) -> Page[Playlist]:
    query = parse(PlaylistSearch, args)
    rows = (
        of_tenant(Playlist, tenant_id)
        .filter(Q(user_id=user_id) | Q(public=True), name__icontains=query.keyword)
        .order_by("name", "id")
    )
    return await paginate(rows, query)


async def entries(playlist: Playlist, offset: int = 0, limit: int | None = None) -> list[PlaylistTrack]:
    rows = PlaylistTrack.filter(playlist_id=playlist.id).order_by("position").offset(max(0, offset))
    if limit is not None:
        rows = rows.limit(max(0, limit))
    return await rows


def parse_add(data: Any) -> str:
    return parse(TrackRef, data).track_id


def parse_replace(data: Any) -> list[str]:
    return [ref.track_id for ref in parse(TrackReplace, data).tracks]


def parse_move(data: Any) -> int:
    return parse(TrackMove, data).order


async def _lock(owned: Playlist) -> Playlist:
    """Inside a transaction: the playlist row, locked until commit (FOR UPDATE on PostgreSQL)."""
    playlist = await Playlist.select_for_update().get_or_none(id=owned.id, tenant_id=owned.tenant_id)
    if playlist is None:
        raise NotFound(_NOT_FOUND)  # deleted meanwhile
    return playlist


async def _touch(playlist: Playlist, count: int) -> None:
    playlist.track_count = count
    await playlist.save(update_fields=["track_count", "updated_at"])


async def add_track(owned: Playlist, track_id: str) -> PlaylistTrack:
    async with in_transaction():
        playlist = await _lock(owned)
        count = await PlaylistTrack.filter(playlist_id=playlist.id).count()
        if count >= MAX_TRACKS:
            raise ValidationFailed.field("track_id", f"A playlist holds at most {MAX_TRACKS} tracks.")
        entry = await PlaylistTrack.create(playlist_id=playlist.id, track_id=track_id, position=count + 1)
        await _touch(playlist, count + 1)
    return entry


async def replace_tracks(owned: Playlist, track_ids: list[str]) -> list[PlaylistTrack]:
    async with in_transaction():
        playlist = await _lock(owned)
        await PlaylistTrack.filter(playlist_id=playlist.id).delete()
        rows = [PlaylistTrack(id=uuid.uuid4(), playlist_id=playlist.id, track_id=t, position=i)
                for i, t in enumerate(track_ids, start=1)]
        if rows:
            await PlaylistTrack.bulk_create(rows)
        await _touch(playlist, len(rows))
    return await entries(playlist)


async def _entry(playlist: Playlist, entry_id: Any) -> PlaylistTrack:
    pk = parse_id(entry_id)
    entry = None if pk is None else await PlaylistTrack.get_or_none(id=pk, playlist_id=playlist.id)
    if entry is None:
        raise NotFound("Playlist track not found.")
    return entry


async def remove_track(owned: Playlist, entry_id: Any) -> None:
    async with in_transaction():
        playlist = await _lock(owned)
        entry = await _entry(playlist, entry_id)
        await entry.delete()
        await PlaylistTrack.filter(playlist_id=playlist.id, position__gt=entry.position).update(
            position=F("position") - 1
        )
        await _touch(playlist, await PlaylistTrack.filter(playlist_id=playlist.id).count())


async def move_track(owned: Playlist, entry_id: Any, order: int) -> PlaylistTrack:
    """Put one entry at `order` (past the end means last), shifting the ones in between."""
    async with in_transaction():
        playlist = await _lock(owned)
        entry = await _entry(playlist, entry_id)
        count = await PlaylistTrack.filter(playlist_id=playlist.id).count()
        target = min(order, count)
        current = entry.position
        siblings = PlaylistTrack.filter(playlist_id=playlist.id).exclude(id=entry.id)
        if target < current:
            await siblings.filter(position__gte=target, position__lt=current).update(position=F("position") + 1)
        elif target > current:
            await siblings.filter(position__gt=current, position__lte=target).update(position=F("position") - 1)
        if target != current:
            entry.position = target
            await entry.save(update_fields=["position", "updated_at"])
        await _touch(playlist, count)
    return entry
