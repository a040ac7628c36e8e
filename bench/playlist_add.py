"""Issue 17.7: the add-a-track path through the ORM against the same statements sent by bare asyncpg.

On a throwaway PostgreSQL database (the app's migrations, the app's Tortoise configuration and pool):
one tenant, one user, playlists to fill. Measured per add, in microseconds (median of rounds):

- `service`: what `POST /api/playlists/{id}/tracks` does below HTTP and the catalog check:
  `playlists.get_owned` (visibility read) then `playlists.add_track` (transaction, row lock, INSERT,
  count and rank_end update), through Tortoise;
- `asyncpg`: the very statements the service sent (captured from Tortoise's query log), with the same
  values, over one asyncpg pool connection, prepared (asyncpg's statement cache), in one transaction:
  the floor for these statements on this machine.

Usage: .venv/bin/python bench/playlist_add.py [--pg postgres://postgres@127.0.0.1:5432] [--adds 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import orm_database  # noqa: E402
from tests.statements import sent_statements  # noqa: E402
from yourmusic.db import POSTGRES_SERVER_SETTINGS  # noqa: E402
from yourmusic.models import Playlist, Tenant, User  # noqa: E402
from yourmusic.services import playlists as svc  # noqa: E402

PER_PLAYLIST = 1_000  # adds per playlist (the service refuses past MAX_TRACKS)


async def setup() -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await Tenant.create(slug=f"bench-{uuid.uuid4().hex[:8]}", name="bench")
    user = await User.create(tenant_id=tenant.id, email="b@example.com", email_key="b@example.com",
                             first_name="B", last_name="B", date_of_birth="1990-01-01")
    return tenant.id, user.id


async def service_adds(tenant_id: uuid.UUID, user_id: uuid.UUID, n: int) -> list[float]:
    out: list[float] = []
    playlist = await Playlist.create(tenant_id=tenant_id, user_id=user_id, name="svc")
    for i in range(n):
        if i and i % PER_PLAYLIST == 0:
            playlist = await Playlist.create(tenant_id=tenant_id, user_id=user_id, name="svc")
        t0 = time.perf_counter()
        owned = await svc.get_owned(tenant_id, user_id, playlist.id)
        await svc.add_track(owned, "1")
        out.append(time.perf_counter() - t0)
    return out


async def captured(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[tuple[str, tuple]]:
    playlist = await Playlist.create(tenant_id=tenant_id, user_id=user_id, name="capture")
    with sent_statements() as seen:
        owned = await svc.get_owned(tenant_id, user_id, playlist.id)
        await svc.add_track(owned, "1")
    return seen


async def bare_adds(url: str, statements: list[tuple[str, tuple]], tenant_id: uuid.UUID, user_id: uuid.UUID,
                    n: int) -> list[float]:
    """The captured statements with fresh values: the playlist id, the entry's id, rank and count."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1, server_settings=POSTGRES_SERVER_SETTINGS)
    out: list[float] = []
    try:
        (read_sql, read_args), (lock_sql, lock_args), (insert_sql, insert_args), (update_sql, _) = statements
        playlist_id = uuid.uuid4()
        for i in range(n):
            if i % PER_PLAYLIST == 0:
                playlist_id = (await Playlist.create(tenant_id=tenant_id, user_id=user_id, name="bare")).id
            t0 = time.perf_counter()
            async with pool.acquire() as con:
                row = await con.fetchrow(read_sql, *_swap(read_args, statements, playlist_id))
                assert row is not None and row["user_id"] == user_id
                async with con.transaction():
                    locked = await con.fetchrow(lock_sql, *_swap(lock_args, statements, playlist_id))
                    count, rank = locked["track_count"], locked["rank_end"] + svc.GAP
                    now = datetime.now(UTC)
                    values = list(_swap(insert_args, statements, playlist_id))  # id, track, rank, times, playlist
                    values[0], values[2], values[3], values[4] = uuid.uuid4(), rank, now, now
                    await con.execute(insert_sql, *values)
                    await con.execute(update_sql, count + 1, rank, now, playlist_id)  # count, rank_end, time
            out.append(time.perf_counter() - t0)
    finally:
        await pool.close()
    return out


def _swap(args: tuple, statements: list[tuple[str, tuple]], playlist_id: uuid.UUID) -> tuple:
    """The captured values with the captured playlist's id replaced by `playlist_id` (ids as UUIDs)."""
    captured_id = str(statements[0][1][1])
    return tuple(playlist_id if str(a) == captured_id else (uuid.UUID(a) if _is_uuid(a) else a) for a in args)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
        return isinstance(value, str)
    except ValueError:
        return False


async def main(args: argparse.Namespace) -> None:
    async with orm_database(args.pg, "ym_bench_add") as url:
        tenant_id, user_id = await setup()
        statements = await captured(tenant_id, user_id)
        kinds = [" ".join(s.split())[:90] for s, _ in statements]
        print("statements of one add (Tortoise's log):")
        for k in kinds:
            print(f"  {k}")
        body = [(s, v) for s, v in statements if not s.upper().startswith(("BEGIN", "COMMIT"))]
        assert len(body) == 4, kinds
        await service_adds(tenant_id, user_id, 200)  # warm
        await bare_adds(url, body, tenant_id, user_id, 200)
        rounds_svc, rounds_bare = [], []
        for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
            rounds_svc.append(statistics.median(await service_adds(tenant_id, user_id, args.adds)))
            rounds_bare.append(statistics.median(await bare_adds(url, body, tenant_id, user_id, args.adds)))
        s, b = statistics.median(rounds_svc) * 1e6, statistics.median(rounds_bare) * 1e6
        print(f"\nadd a track, median us per add ({args.rounds} rounds of {args.adds}, 2 shared cores: noisy)")
        print(f"  service (Tortoise): {s:8.0f}   rounds: {', '.join(f'{x * 1e6:.0f}' for x in rounds_svc)}")
        print(f"  bare asyncpg:       {b:8.0f}   rounds: {', '.join(f'{x * 1e6:.0f}' for x in rounds_bare)}")
        print(f"  ratio service / asyncpg: {s / b:.2f}")


if __name__ == "__main__":
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--adds", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
