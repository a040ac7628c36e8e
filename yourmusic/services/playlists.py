"""Playlists: visibility, CRUD, search, and dense ordered track lists under concurrent edits.

Every track-list edit runs in one transaction holding a lock on the playlist row (PostgreSQL
`SELECT ... FOR UPDATE`; SQLite serialises writers), so two edits of one playlist never interleave.

Order: each entry stores a sparse `rank` (BIGINT, unique within its playlist). Appends and renumbering
leave GAP between neighbours, so an add, a move or a remove writes one entry row (a move takes a rank
between its new neighbours', found through the (playlist_id, rank) index) and the playlist row. When no
integer fits where a move needs one (log2(GAP) midpoint splits at the same spot at the least), or a rank
would leave +-RANK_LIMIT, a window of entries around the spot is respread (`_respread`: the smallest of 2,
4, 8, ... entries with room by `min_spacing`: about 1.1 entry rows per move amortised for moves again
and again into one spot, measured, against ~n/32 for renumbering the playlist); the whole playlist only when
the window reaches both ends, or an append passes RANK_LIMIT (`_rebalance`). Answers carry the dense
1-based position, derived from rank order as entries are read (`numbered`), never stored.

Inputs are the domain models below (the transports validate them through `validation.Submitted`);
answers are `models.Playlist` / `models.PlaylistTrack` rows, `EntryRow` values for reads of entries, or
`PlaylistCard` where a playlist travels as a value (the home page, its shared cache); each transport
shapes them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, NamedTuple

from pydantic import Field
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from yourmusic.bulk import insert_all
from yourmusic.errors import Forbidden, InvalidAuthToken, NotFound, ValidationFailed
from yourmusic.live.events import playlist_changed, publish
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.pagination import CursorArgs, CursorPage, Cursors, Page, PageArgs, after, keyset, paginate
from yourmusic.services.scoping import of_tenant
from yourmusic.services.textsearch import fold
from yourmusic.validation import Input, Name, given
from yourmusic.values import RowValue

MAX_TRACKS = 10_000
GAP = 1 << 32  # between neighbours' ranks after an append, a replace or a renumbering
RANK_LIMIT = 1 << 62  # ranks stay within +-RANK_LIMIT (BIGINT: +-2^63), room for ~2^30 appends past a renumbering
MAX_REPLACE = 100
TrackId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class NewPlaylist(Input):
    """A playlist to create: its name, private unless said otherwise."""

    name: Name
    public: bool = False


class PlaylistUpdate(Input):
    """Partial: only the fields given change; an explicit null is refused."""

    name: Name = None  # type: ignore[assignment]
    public: bool = None  # type: ignore[assignment]


class TrackRef(Input):
    """One catalog track, by its id."""

    track_id: TrackId


class TrackReplace(Input):
    """A playlist's whole new track list, in order (at most MAX_REPLACE)."""

    tracks: list[TrackRef] = Field(max_length=MAX_REPLACE)


class EntryMove(Input):
    """Where one entry goes: a 1-based position (past the end means last)."""

    position: int = Field(ge=1, le=MAX_TRACKS)


class PlaylistSearch(PageArgs):
    keyword: str = Field(min_length=1, max_length=255)


class PlaylistSearchWalk(CursorArgs):
    """A keyset page of a search (the cursor is only valid for the same keyword, folded)."""

    keyword: str = Field(min_length=1, max_length=255)


MINE_ORDER = ("-created_at", "-id")  # index (user_id, created_at, id), read backwards
SEARCH_ORDER = ("name", "id")
ENTRY_ORDER = ("rank",)  # sparse, unique within a playlist; index (playlist_id, rank). Positions: `numbered`


class PlaylistCard(RowValue):
    """A playlist as a value (no entries): the one shape every answer maps from."""


    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID = Field(description="The owner.")
    name: str
    public: bool
    track_count: int
    created_at: datetime
    updated_at: datetime


_NOT_FOUND = "Playlist not found."


def visible(playlist: Playlist | None, user_id: uuid.UUID) -> Playlist:
    """A playlist row (of the caller's tenant) as `user_id` may see it: the owner always, another user
    public ones only; NotFound otherwise (None: it does not exist)."""
    if playlist is None or (playlist.user_id != user_id and not playlist.public):  # type: ignore[attr-defined]
        raise NotFound(_NOT_FOUND)
    return playlist


async def get_visible(tenant_id: uuid.UUID, user_id: uuid.UUID, playlist_id: uuid.UUID) -> Playlist:
    """Owner: always; another user of the tenant: public ones only; everyone else: not found."""
    return visible(await of_tenant(Playlist, tenant_id).get_or_none(id=playlist_id), user_id)


async def get_owned(tenant_id: uuid.UUID, user_id: uuid.UUID, playlist_id: uuid.UUID) -> Playlist:
    """The caller's own playlist: NotFound as `get_visible`, Forbidden for another's public one."""
    playlist = await get_visible(tenant_id, user_id, playlist_id)
    if playlist.user_id != user_id:  # type: ignore[attr-defined]
        raise Forbidden("Only the owner may change this playlist.")
    return playlist


async def create(tenant_id: uuid.UUID, user_id: uuid.UUID, new: NewPlaylist) -> Playlist:
    """The user's new, empty playlist."""
    try:
        playlist = await Playlist.create(tenant_id=tenant_id, user_id=user_id, name=new.name,
                                         search_name=fold(new.name), public=new.public)
    except IntegrityError:  # a user token of a user deleted since (found by schemathesis): the token is wrong
        raise InvalidAuthToken() from None
    await publish(playlist_changed(tenant_id, playlist.id))
    return playlist


async def update(playlist: Playlist, update: PlaylistUpdate) -> Playlist:
    """The (owned) playlist with the fields `update` was given changed (none: unchanged, not saved)."""
    changes = given(update)
    if not changes:
        return playlist
    if "name" in changes:
        changes["search_name"] = fold(changes["name"])
    playlist.update_from_dict(changes)
    await playlist.save(update_fields=[*changes, "updated_at"])
    await publish(playlist_changed(playlist.tenant_id, playlist.id))  # type: ignore[attr-defined]
    return playlist


async def delete(playlist: Playlist) -> None:
    """Deletes the (owned) playlist; its entries go with it (ON DELETE CASCADE)."""
    await playlist.delete()
    await publish(playlist_changed(playlist.tenant_id, playlist.id))  # type: ignore[attr-defined]


def _mine(tenant_id: uuid.UUID, user_id: uuid.UUID) -> QuerySet[Playlist]:
    return of_tenant(Playlist, tenant_id).filter(user_id=user_id)


async def mine(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[Playlist]:
    """The user's playlists, newest first."""
    return await _mine(tenant_id, user_id).order_by(*MINE_ORDER)


async def walk_mine(tenant_id: uuid.UUID, user_id: uuid.UUID, args: CursorArgs,
                    cursors: Cursors) -> CursorPage[Playlist]:
    """The user's playlists after a cursor, newest first; InvalidCursor for one not issued for them."""
    return await keyset(_mine(tenant_id, user_id), args, MINE_ORDER, cursors, f"playlists.mine:{tenant_id}:{user_id}")


def _found(tenant_id: uuid.UUID, user_id: uuid.UUID, keyword: str) -> QuerySet[Playlist]:
    """The user's own and the tenant's public playlists whose name contains the keyword.

    Contains means: the folded keyword (`textsearch.fold`: case, accents, Unicode forms) is a substring
    of the folded name, the same on every database (PostgreSQL reads a trigram index for it)."""
    return of_tenant(Playlist, tenant_id).filter(Q(user_id=user_id) | Q(public=True),
                                                 search_name__contains=fold(keyword))


async def search(tenant_id: uuid.UUID, user_id: uuid.UUID, query: PlaylistSearch) -> Page[Playlist]:
    """One page of the playlists the keyword finds (`_found`), by name."""
    return await paginate(_found(tenant_id, user_id, query.keyword), query, SEARCH_ORDER)


async def walk_search(tenant_id: uuid.UUID, user_id: uuid.UUID, query: PlaylistSearchWalk,
                      cursors: Cursors) -> CursorPage[Playlist]:
    """The playlists the keyword finds after a cursor, by name; InvalidCursor for one not issued for
    this caller and keyword."""
    scope = f"playlists.search:{tenant_id}:{user_id}:{fold(query.keyword)}"
    return await keyset(_found(tenant_id, user_id, query.keyword), query, SEARCH_ORDER, cursors, scope)


class EntryRow(NamedTuple):
    """One entry as plain values, not an ORM object (building those cost a long list most of its time).
    `position` is 1-based, counted along ENTRY_ORDER as the rows are read (never read from a column)."""

    id: uuid.UUID
    playlist_id: uuid.UUID
    track_id: str
    position: int
    created_at: datetime
    updated_at: datetime


ENTRY_CHUNK = 100  # entries per statement and per catalog batch of a long read (a multiple of 50): ~1 ms each
_ROW_FIELDS = ("id", "track_id", "created_at", "updated_at")
_ORDER_FIELDS = tuple(o.lstrip("-") for o in ENTRY_ORDER)


def _rows(playlist: Playlist, found: list[tuple[Any, ...]], done: int) -> list[EntryRow]:
    """Read rows (`_ROW_FIELDS` first) as EntryRows; `done` entries come before them (positions done + 1,
    done + 2, ...: the rule `numbered` states, for plain rows)."""
    pid = playlist.id
    return [EntryRow(r[0], pid, r[1], n, r[2], r[3]) for n, r in enumerate(found, start=done + 1)]


async def numbered(playlist_id: uuid.UUID, rows: list[PlaylistTrack],
                   offset: int | None) -> list[PlaylistTrack]:
    """The one definition of an entry's 1-based dense position: `rows` (consecutive entries of the
    playlist, in ENTRY_ORDER) get `position` = offset + 1, offset + 2, ...; an unknown `offset` (None: a
    keyset page) is the COUNT of the playlist's entries ranked before the first row (the index
    (playlist_id, rank), read only). Returns `rows`."""
    if rows and offset is None:
        offset = await PlaylistTrack.filter(playlist_id=playlist_id, rank__lt=rows[0].rank).count()
    for index, row in enumerate(rows, start=(offset or 0) + 1):
        row.position = index
    return rows


async def entries(playlist: Playlist, offset: int = 0, limit: int | None = None) -> list[EntryRow]:
    """The playlist's entries in order, `offset`/`limit` applied (negative ones count as 0)."""
    offset = max(0, offset)
    rows = PlaylistTrack.filter(playlist_id=playlist.id).order_by(*ENTRY_ORDER).offset(offset)
    if limit is not None:
        rows = rows.limit(max(0, limit))
    return _rows(playlist, list(await rows.values_list(*_ROW_FIELDS)), offset)


class EntriesChanged(Exception):
    """The playlist changed (an edit committed) while its entries were read in several statements."""


async def entry_chunks(playlist: Playlist, size: int | None = None) -> AsyncIterator[list[EntryRow]]:
    """All the entries of `playlist` (a row read in this request) in order, `size` (default
    ENTRY_CHUNK) at a time; the last chunk may be shorter or empty.

    One statement per chunk, each continuing after the previous chunk's last ENTRY_ORDER values
    (keyset on the (playlist_id, order) index: every chunk costs the same, however deep). A list read
    in one statement is one snapshot. A longer one is checked before its last chunk is given out: the
    playlist row must still have the `updated_at` it was read with (every edit of the list changes it,
    in the edit's transaction), else EntriesChanged (chunks read across an edit could repeat or miss an
    entry; the caller must not present them as the list)."""
    size = size or ENTRY_CHUNK
    base = PlaylistTrack.filter(playlist_id=playlist.id).order_by(*ENTRY_ORDER)
    query, done, width = base, 0, len(_ROW_FIELDS)
    while True:
        found = list(await query.limit(size).values_list(*_ROW_FIELDS, *_ORDER_FIELDS))
        last = len(found) < size
        if last and done and not await Playlist.filter(id=playlist.id, updated_at=playlist.updated_at).exists():
            raise EntriesChanged()
        yield _rows(playlist, found, done)
        if last:
            return
        done += len(found)
        query = base.filter(after(ENTRY_ORDER, list(found[-1][width:])))


async def track_ids(playlist: Playlist) -> list[str]:
    """The distinct catalog track ids of the playlist's entries (no order)."""
    return list(await PlaylistTrack.filter(playlist_id=playlist.id).distinct().values_list("track_id", flat=True))


async def walk_entries(playlist: Playlist, args: CursorArgs, cursors: Cursors) -> CursorPage[PlaylistTrack]:
    """The (visible) playlist's entries after a cursor, in order, numbered; InvalidCursor for one not issued
    for this playlist (nor one issued before entries had ranks: its scope names the rank)."""
    page = await keyset(PlaylistTrack.filter(playlist_id=playlist.id), args, ENTRY_ORDER, cursors,
                        f"playlist.tracks.rank:{playlist.id}")
    await numbered(playlist.id, page.items, None if page.cursor else 0)
    return page


async def _lock(owned: Playlist) -> Playlist:
    """Inside a transaction: the playlist row, locked until commit (FOR UPDATE on PostgreSQL)."""
    playlist = await Playlist.select_for_update().get_or_none(id=owned.id, tenant_id=owned.tenant_id)
    if playlist is None:
        raise NotFound(_NOT_FOUND)  # deleted meanwhile
    return playlist


async def _touch(playlist: Playlist, count: int, rank_end: int | None = None) -> None:
    """The locked playlist's count, `rank_end` (when given; `_rebalance` sets its own) and `updated_at`:
    one UPDATE."""
    playlist.track_count = count
    if rank_end is not None:
        playlist.rank_end = rank_end
    await playlist.save(update_fields=["track_count", "rank_end", "updated_at"])


async def _renumber(playlist: Playlist, low: int, step: int, first: int, last: int, spot: int,
                    skip: uuid.UUID) -> None:
    """Gives the entries ranked `first`..`last` (the entry `skip` left out) the ranks low + step * n, n = 1,
    2, ... in their order, one more past `spot` (the slot a moved entry takes): one UPDATE (ROW_NUMBER()
    over the range, SQLite >= 3.33 and PostgreSQL)."""
    db = PlaylistTrack._choose_db(for_write=True)
    pg = db.capabilities.dialect == "postgres"
    mark = ([f"${i}::{t}" for i, t in enumerate(("bigint",) * 3 + ("uuid", "bigint", "bigint", "uuid"), start=1)]
            if pg else ["?"] * 7)
    await db.execute_query(
        f'UPDATE "playlist_tracks" SET "rank" = {mark[0]} + {mark[1]} * (v.n + CASE WHEN v."rank" > {mark[2]} '
        f'THEN 1 ELSE 0 END) FROM (SELECT "id", "rank", ROW_NUMBER() OVER (ORDER BY "rank") AS n '
        f'FROM "playlist_tracks" WHERE "playlist_id" = {mark[3]} AND "rank" BETWEEN {mark[4]} AND {mark[5]} '
        f'AND "id" <> {mark[6]}) AS v WHERE "playlist_tracks"."id" = v."id"',
        [low, step, spot, str(playlist.id), first, last, str(skip)])


_NO_ENTRY = uuid.UUID(int=0)  # `_renumber`'s `skip` when every entry is renumbered (no entry has the nil UUID)


async def _rebalance(playlist: Playlist) -> int:
    """Renumbers the locked playlist's entries GAP, 2 GAP, ... in their order (one UPDATE, every entry:
    the rare case) and returns the new `rank_end`. Runs when an append's rank would pass RANK_LIMIT."""
    await _renumber(playlist, 0, GAP, -RANK_LIMIT, RANK_LIMIT, RANK_LIMIT, _NO_ENTRY)
    playlist.rank_end = playlist.track_count * GAP
    return playlist.rank_end


async def add_track(owned: Playlist, track_id: str) -> PlaylistTrack:
    """Appends one entry (rank: the locked row's `rank_end` + GAP); ValidationFailed (`track_id`) past
    MAX_TRACKS. The count is the locked row's `track_count` (kept by every edit in the same transaction),
    not a COUNT of the entries. Writes the entry and the playlist row."""
    async with in_transaction():
        playlist = await _lock(owned)
        count = playlist.track_count
        if count >= MAX_TRACKS:
            raise ValidationFailed.field("track_id", f"A playlist holds at most {MAX_TRACKS} tracks.")
        rank = playlist.rank_end + GAP
        if rank > RANK_LIMIT:
            rank = await _rebalance(playlist) + GAP
        entry = await PlaylistTrack.create(playlist_id=playlist.id, track_id=track_id, rank=rank)
        await _touch(playlist, count + 1, rank)
    await publish(playlist_changed(playlist.tenant_id, playlist.id))  # type: ignore[attr-defined]
    entry.position = count + 1
    return entry


async def replace_tracks(owned: Playlist, track_ids: list[str]) -> list[PlaylistTrack]:
    """Sets the whole list in the order given, ranks GAP, 2 GAP, ... (one DELETE, one multi-row INSERT);
    the new entries, as written (not read back), positions 1..n."""
    async with in_transaction():
        playlist = await _lock(owned)
        await PlaylistTrack.filter(playlist_id=playlist.id).delete()
        rows = [PlaylistTrack(id=uuid.uuid4(), playlist_id=playlist.id, track_id=t, rank=i * GAP)
                for i, t in enumerate(track_ids, start=1)]
        await insert_all(rows)
        await _touch(playlist, len(rows), len(rows) * GAP)
    await publish(playlist_changed(playlist.tenant_id, playlist.id))  # type: ignore[attr-defined]
    return await numbered(playlist.id, rows, 0)


async def _entry(playlist: Playlist, entry_id: uuid.UUID) -> PlaylistTrack:
    entry = await PlaylistTrack.get_or_none(id=entry_id, playlist_id=playlist.id)
    if entry is None:
        raise NotFound("Playlist track not found.")
    return entry


async def remove_track(owned: Playlist, entry_id: uuid.UUID) -> None:
    """Removes one entry; the ones after it move up one position, their ranks unchanged (writes the
    deleted entry and the playlist row)."""
    async with in_transaction():
        playlist = await _lock(owned)
        entry = await _entry(playlist, entry_id)
        await entry.delete()
        await _touch(playlist, playlist.track_count - 1)
    await publish(playlist_changed(playlist.tenant_id, playlist.id))  # type: ignore[attr-defined]


async def _neighbours(playlist: Playlist, entry: PlaylistTrack, target: int) -> tuple[int | None, int | None]:
    """The ranks the entry would sit between at 1-based `target` among the playlist's other entries
    (None: no entry on that side): entries target - 1 and target of the others, through the index
    (an OFFSET: reads, no writes)."""
    others = PlaylistTrack.filter(playlist_id=playlist.id).exclude(id=entry.id).order_by(*ENTRY_ORDER)
    if target == 1:
        after = await others.limit(1).values_list("rank", flat=True)
        return None, (after[0] if after else None)
    ranks = list(await others.offset(target - 2).limit(2).values_list("rank", flat=True))
    return ranks[0], (ranks[1] if len(ranks) > 1 else None)


def _between(before: int | None, after: int | None) -> int | None:
    """A rank strictly between two neighbours' (None: that side is open), or None when none fits."""
    if before is None and after is None:
        return 0
    if before is None:
        rank = after - GAP  # type: ignore[operator]
    elif after is None:
        rank = before + GAP
    elif after - before >= 2:
        return (before + after) // 2
    else:
        return None
    return rank if -RANK_LIMIT <= rank <= RANK_LIMIT else None


def min_spacing(level: int) -> int:
    """The least spacing (rank units) a window of level `level` (up to 2^(level-1) entries on each side of
    the spot) may be respread at: 2 * 4^level, growing with the level so that a respread window leaves its
    sub-windows room for many respreads before it is needed again (Itai-Konheim-Rodeh / Bender et al.
    density thresholds). Level 14 (a 16,384-entry window, more than MAX_TRACKS): 2^29 < GAP."""
    return 2 << (2 * level)


async def _window_side(playlist: Playlist, entry: PlaylistTrack, edge: int, up: bool, limit: int) -> list[int]:
    """Ranks of up to `limit` of the playlist's other entries from `edge` (included) outwards, nearest
    first (`up`: ranks >= edge ascending; else <= edge descending), through the (playlist_id, rank) index."""
    rows = PlaylistTrack.filter(playlist_id=playlist.id).exclude(id=entry.id)
    rows = rows.filter(rank__gte=edge).order_by("rank") if up else rows.filter(rank__lte=edge).order_by("-rank")
    return list(await rows.limit(limit).values_list("rank", flat=True))


async def _respread(playlist: Playlist, entry: PlaylistTrack, before: int | None,
                    after: int | None) -> tuple[int, int]:
    """Makes room for `entry` between the ranks `before` and `after` (its new neighbours among the others,
    one integer or less apart, or at +-RANK_LIMIT) by respreading a window of the entries around the spot
    evenly, the moved entry's slot included, and returns (the entry's new rank, the playlist's new `rank_end`:
    the highest rank after the whole playlist is renumbered, else the larger of the old one and the window's).

    Window of level l = 1, 2, ...: up to h = 2^(l-1) entries on each side of the spot (read through the
    index), bounded by the ranks of the entries just outside it. It is respread when its span leaves at
    least `min_spacing(l)` between the k + 1 ranks it must hold; a side with no entry beyond the window
    (the list's start or end) is bounded at max(GAP, min_spacing(l)) per rank away from the other bound,
    within +-RANK_LIMIT, so a window that reaches an end always fits. Both ends reached: the whole
    playlist, GAP, 2 GAP, ... The window's entries are rewritten in one UPDATE (`_renumber`); the caller
    writes the moved entry. Writes k rows, k = 2 in most cases."""
    level, left, right = 0, [], []
    left_all, right_all = before is None, after is None  # every entry on that side read
    while True:
        level += 1
        half = 1 << (level - 1)
        if not left_all and len(left) < half + 1:
            left = await _window_side(playlist, entry, before, False, half + 1)  # type: ignore[arg-type]
            left_all = len(left) < half + 1
        if not right_all and len(right) < half + 1:
            right = await _window_side(playlist, entry, after, True, half + 1)  # type: ignore[arg-type]
            right_all = len(right) < half + 1
        inside_left, inside_right = left[:half], right[:half]  # nearest first
        size = len(inside_left) + len(inside_right)  # k: the window's entries, the moved one not counted
        low = left[half] if len(left) > half else None  # bounds: the entries just outside (None: open)
        high = right[half] if len(right) > half else None
        if low is None and high is None:  # the whole playlist
            low, step = 0, GAP
            rank_end = GAP * (size + 1)
            break
        spacing = max(GAP, min_spacing(level))
        if low is None:
            low = max(high - (size + 2) * spacing, -RANK_LIMIT - 1)  # type: ignore[operator]
        elif high is None:
            high = min(low + (size + 2) * spacing, RANK_LIMIT + 1)
        step = (high - low) // (size + 2)
        if step >= min_spacing(level):
            rank_end = max(playlist.rank_end, low + step * (size + 1))
            break
    first = inside_left[-1] if inside_left else inside_right[0]
    last = inside_right[-1] if inside_right else inside_left[0]
    spot = before if before is not None else first - 1  # window entries ranked above it follow the moved one
    await _renumber(playlist, low, step, first, last, spot, entry.id)
    return low + step * (len(inside_left) + 1), rank_end


async def move_track(owned: Playlist, entry_id: uuid.UUID, position: int) -> PlaylistTrack:
    """Put one entry at `position` (1-based; past the end means last): it takes a rank between its new
    neighbours', so only the entry and the playlist row are written (an entry already in place: only the
    playlist row); when no rank fits there, a few entries around the spot are respread first (`_respread`)."""
    async with in_transaction():
        playlist = await _lock(owned)
        entry = await _entry(playlist, entry_id)
        count = playlist.track_count
        target = min(position, count)
        before, after = await _neighbours(playlist, entry, target)
        rank_end = playlist.rank_end
        if not ((before is None or before < entry.rank) and (after is None or entry.rank < after)):
            rank = _between(before, after)
            if rank is None:
                rank, rank_end = await _respread(playlist, entry, before, after)
            entry.rank = rank
            await entry.save(update_fields=["rank", "updated_at"])
        await _touch(playlist, count, max(rank_end, entry.rank))
    await publish(playlist_changed(playlist.tenant_id, playlist.id))  # type: ignore[attr-defined]
    entry.position = target
    return entry
