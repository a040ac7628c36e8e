"""Issue 17.5: rows written and transaction time of one track-list edit in a 10,000-entry playlist.

On a throwaway PostgreSQL database (the migrations of the code on PYTHONPATH, the app's Tortoise
configuration): one playlist of 10,000 entries (SQL bulk load, as the code's schema stores them), then
each edit through the service (`services.playlists`) several times:

- rows written: `pg_stat_xact_user_tables` (n_tup_ins / n_tup_upd / n_tup_del) of `playlist_tracks` and
  `playlists`, read on the edit's own connection before it commits (the edit runs inside an outer
  transaction for this count only; its statements are the same);
- the adversarial pattern (`--moves`, default 500): the last entry moved again and again into the same
  spot (order 2; the middle), which exhausts the spot's gap every log2(GAP) = 32 moves: entry rows written
  per move, amortised over the run and the most by one move, and the moves' total time;
- ms: the edit's own transaction, from BEGIN to COMMIT (the playlist row is locked from its
  `SELECT ... FOR UPDATE` to the COMMIT: at most this long), median of the repetitions, measured separately
  without the outer transaction.

Run it on the old and the new code for before/after in the same conditions:
  PYTHONPATH=/work/main .venv/bin/python bench/playlist_edit.py      # before (code: main)
  PYTHONPATH=$PWD       .venv/bin/python bench/playlist_edit.py      # after
Usage: bench/playlist_edit.py [--pg postgres://postgres@127.0.0.1:5432] [--size 10000] [--repeat 7] [--moves 500]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import time
import uuid
from pathlib import Path

from _harness import orm_database
from tortoise import connections
from tortoise.transactions import in_transaction

import yourmusic
from yourmusic.models import Playlist, PlaylistTrack, Tenant, User
from yourmusic.services import playlists as svc

TABLES = ("playlist_tracks", "playlists")


async def build(size: int) -> Playlist:
    """A tenant, a user and one playlist of `size` entries, written as the code's schema stores them."""
    tenant = await Tenant.create(slug=f"bench-{uuid.uuid4().hex[:8]}", name="bench")
    user = await User.create(tenant_id=tenant.id, email="b@example.com", email_key="b@example.com",
                             first_name="B", last_name="B", date_of_birth="1990-01-01")
    playlist = await Playlist.create(tenant_id=tenant.id, user_id=user.id, name="long")
    db = connections.get("default")
    ranked = "rank" in PlaylistTrack._meta.fields_map
    column, value = ("rank", f"g::bigint * {svc.GAP}") if ranked else ("position", "g")
    await db.execute_query(
        f"INSERT INTO playlist_tracks (id, playlist_id, track_id, {column}, created_at, updated_at) "
        f"SELECT gen_random_uuid(), $1::uuid, ((g % 3000) + 1)::text, {value}, now(), now() "
        "FROM generate_series(1, $2::int) AS g", [str(playlist.id), size])
    end = ", rank_end = $2::bigint * " + str(svc.GAP) if ranked else ""
    await db.execute_query(f"UPDATE playlists SET track_count = $2::int{end} WHERE id = $1::uuid",
                           [str(playlist.id), size])
    await db.execute_query("VACUUM ANALYZE playlist_tracks")
    await db.execute_query("VACUUM ANALYZE playlists")
    return await Playlist.get(id=playlist.id)


async def entry_at(playlist: Playlist, position: int) -> uuid.UUID:
    return (await svc.entries(playlist, position - 1, 1))[0].id


async def written(edit) -> dict[str, tuple[int, int, int]]:
    """(inserted, updated, deleted) rows per table by `edit()`, counted inside an outer transaction."""
    async with in_transaction() as db:
        query = ("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
                 "WHERE relname IN ('playlist_tracks', 'playlists')")
        before = {r["relname"]: (r["n_tup_ins"], r["n_tup_upd"], r["n_tup_del"]) for r in await db.execute_query_dict(query)}
        await edit()
        after = {r["relname"]: (r["n_tup_ins"], r["n_tup_upd"], r["n_tup_del"]) for r in await db.execute_query_dict(query)}
    return {t: tuple(a - b for a, b in zip(after.get(t, (0, 0, 0)), before.get(t, (0, 0, 0)))) for t in TABLES}


def plan(size: int) -> list[tuple[str, str, int, int]]:
    """(label, kind, 1-based position of the entry edited, target position) of each measured edit."""
    return [
        ("move last -> 1", "move", size, 1),
        (f"move 1 -> {size // 2:,}", "move", 1, size // 2),
        (f"move {size // 3:,} -> last", "move", size // 3, size),
        ("remove position 1", "remove", 1, 0),
        ("add (append)", "add", 0, 0),
    ]


async def edit(playlist: Playlist, kind: str, entry_id: uuid.UUID | None, to: int) -> None:
    if kind == "move":
        await svc.move_track(playlist, entry_id, to)  # type: ignore[arg-type]
    elif kind == "remove":
        await svc.remove_track(playlist, entry_id)  # type: ignore[arg-type]
    else:
        await svc.add_track(playlist, "7")


async def reads(playlist: Playlist, args: argparse.Namespace) -> None:
    """What reading costs: an offset page and a cursor page of 100 deep in the list (each numbered from
    the playlist's start: the cursor page counts the entries ranked before it)."""
    from yourmusic.pagination import CursorArgs, Cursors

    deep = args.size - args.size // 100
    pages = {"offset page of 100 after entry {:,}": lambda: svc.entries(playlist, deep, 100)}
    if hasattr(svc, "numbered"):  # the ranked code: a cursor for entry `deep`, as walk_entries issues them
        cursors = Cursors(b"k" * 32)
        rank = (await PlaylistTrack.filter(playlist_id=playlist.id).order_by(*svc.ENTRY_ORDER)
                .offset(deep - 1).first().values_list("rank", flat=True))  # entry `deep`'s rank
        token = cursors.encode(f"playlist.tracks.rank:{playlist.id}", [rank])  # walk_entries' scope
        pages["cursor page of 100 after entry {:,}"] = lambda: svc.walk_entries(
            playlist, CursorArgs(cursor=token, per_page=100), cursors)
    if args.explain and hasattr(svc, "numbered"):
        db = connections.get("default")
        plan = await db.execute_query_dict(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM playlist_tracks WHERE playlist_id = $1 AND rank < $2",
            [str(playlist.id), rank])
        print("\n" + "\n".join(r["QUERY PLAN"] for r in plan))
    print()
    for label, read in pages.items():
        ms = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            got = await read()
            ms.append((time.perf_counter() - t0) * 1000)
        items = got.items if hasattr(got, "items") else got
        assert items[0].position == deep + 1, (label, items[0].position)
        print(f"{label.format(deep)}: {statistics.median(ms):.1f} ms (median of {args.repeat}), first order "
              f"{items[0].position:,}")


async def adversarial(playlist: Playlist, args: argparse.Namespace) -> None:
    """`args.moves` moves of the last entry into one spot, for each spot: entry rows written per move."""
    print(f"\nadversarial: {args.moves} moves of the last entry into the same spot (entry rows written, "
          "pg_stat_xact_user_tables)\n")
    print(f"| {'spot':<12} | {'rows / move (amortised)':>23} | {'max rows, one move':>18} | {'total s':>7} |")
    print(f"|{'-' * 14}|{'-' * 24}:|{'-' * 19}:|{'-' * 8}:|")
    for spot in (2, args.size // 2):
        rows, clock = [], 0.0
        for _ in range(args.moves):
            entry_id = await entry_at(playlist, args.size)

            async def one(entry_id: uuid.UUID = entry_id, spot: int = spot) -> None:
                await svc.move_track(playlist, entry_id, spot)
            t0 = time.perf_counter()
            counts = await written(one)
            clock += time.perf_counter() - t0
            rows.append(sum(counts["playlist_tracks"]))
        print(f"| {f'order {spot:,}':<12} | {sum(rows) / len(rows):>23.2f} | {max(rows):>18,} | {clock:>7.1f} |")


async def main(args: argparse.Namespace) -> None:
    code = Path(yourmusic.__file__).resolve().parent.parent
    head = subprocess.run(["git", "-C", str(code), "log", "-1", "--format=%h %s"], capture_output=True,
                          text=True, check=False).stdout.strip()
    print(f"code: {code} ({head[:90]})")
    async with orm_database(args.pg, "ym_bench_edit"):
        playlist = await build(args.size)
        print(f"playlist of {args.size:,} entries; rows written per edit (pg_stat_xact_user_tables) and the edit's "
              f"transaction in ms (median of {args.repeat}; 2 shared cores: noisy)\n")
        print(f"| {'edit':<22} | {'entry rows ins/upd/del':>22} | {'playlist rows upd':>17} | {'ms':>7} |")
        print(f"|{'-' * 24}|{'-' * 23}:|{'-' * 18}:|{'-' * 8}:|")
        for label, kind, frm, to in plan(args.size):
            async def one(kind: str = kind, frm: int = frm, to: int = to) -> None:
                await edit(playlist, kind, await entry_at(playlist, frm) if frm else None, to)
            counts = await written(one)
            ms = []
            for _ in range(args.repeat):
                entry_id = await entry_at(playlist, frm) if frm else None  # looked up outside the clock
                t0 = time.perf_counter()
                await edit(playlist, kind, entry_id, to)
                ms.append((time.perf_counter() - t0) * 1000)
            e, p = counts["playlist_tracks"], counts["playlists"]
            print(f"| {label:<22} | {f'{e[0]} / {e[1]:,} / {e[2]}':>22} | {p[1]:>17} | {statistics.median(ms):>7.1f} |")
        await reads(playlist, args)
        if args.moves:
            await adversarial(playlist, args)
        count = await PlaylistTrack.filter(playlist_id=playlist.id).count()
        print(f"\nentries at the end: {count:,} (track_count {(await Playlist.get(id=playlist.id)).track_count:,})")


if __name__ == "__main__":
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--moves", type=int, default=500, help="moves of the adversarial pattern per spot (0: none)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the COUNT a deep cursor page runs")
    asyncio.run(main(parser.parse_args()))
