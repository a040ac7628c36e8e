"""Issue 17: do tenant-scoped lists cost what their answer costs, whatever the size of the tenant?

Builds (once, reused by later runs) a throwaway PostgreSQL database with SQL bulk loads
(`generate_series`): three tenants of 1k, 100k and 1M users in one database, 1M playlists
(1k / 100k / 899k per tenant, each caller owning 20 of them, 1 in 7 public), and playlists of
100, 1,000 and 10,000 tracks. Then it runs the real `yourmusic serve` of the checked-out code on it
(applying its migrations first) and prints:

- growth tables: tenant size -> milliseconds (median of 5 warm requests) for the first and last page of
  `GET /api/users`, `GET /api/playlists` (the caller's), `GET /api/playlists/search` and a playlist's
  tracks (GraphQL `tracks(offset, limit)`), with the database round trips and statements of one request;
- the small-tenant-after-big-tenant sequence on a fresh server (prepared statements' plan caching);
- the largest GET (the 10,000-entry playlist with its tracks) alone, and a small cached read's p50/p99
  alone and while it runs back to back (`big_playlist.measure_http`);
- the statements one request sends, and the EXPLAIN (ANALYZE, BUFFERS) of every list statement with the
  values the server bound, plus the plan PostgreSQL would cache as the generic plan.

Statements are counted by a wire proxy (`_pgwire.py`) between a second server and PostgreSQL.
Usage: .venv/bin/python bench/scale.py [--pg postgres://postgres@127.0.0.1:5432] [--db ym_bench_scale]
       [--rebuild] [--drop]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import struct
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import http_json, serve  # noqa: E402
from _pgwire import Executed, WireCounter  # noqa: E402
from big_playlist import measure_http, report_http  # noqa: E402

TENANTS = (("scale-1k", 1_000, 1_000), ("scale-100k", 100_000, 100_000), ("scale-1m", 1_000_000, 899_000))
TRACK_PLAYLISTS = (100, 1_000, 10_000)  # entries of playlists 1, 2, 3 of the 1M tenant's first user
OWNED = 20  # playlists 1..20 of every tenant belong to its first user (the caller of the playlist lists)
KEYWORD = "rock"
MISSING = "zzqx"  # matches no playlist: the search's cost when it finds nothing
PER_PAGE = 15
TRACK_PAGE = 100
RUNS = 5
CONCURRENT_READS = 300  # small reads per phase beside the largest GET (2 rounds)


# --- data set -------------------------------------------------------------------------------------------

def user_id(slug: str, n: int) -> str:
    """Users and playlists get deterministic ids (md5 of slug and ordinal) so loads can join without lookups."""
    import hashlib
    return str(uuid.UUID(hashlib.md5(f"{slug}:{n}".encode()).hexdigest()))


def playlist_id(slug: str, n: int) -> str:
    import hashlib
    return str(uuid.UUID(hashlib.md5(f"pl:{slug}:{n}".encode()).hexdigest()))


LOAD = (  # (statement, 1: it takes the slug, 2: slug and users, 3: slug and playlists)
    ("""INSERT INTO tenants (id, slug, name, created_at, updated_at)
        VALUES (md5('tenant:' || $1)::uuid, $1, $1, now(), now())""", 1),
    ("""INSERT INTO users (id, tenant_id, email, email_key, first_name, last_name, date_of_birth, status,
                           created_at, updated_at)
        SELECT md5($1 || ':' || g)::uuid, md5('tenant:' || $1)::uuid, 'user' || g || '@example.com',
               'user' || g || '@example.com', 'First' || g, 'Last' || g, date '1970-01-01' + (g % 15000),
               'UNSUBSCRIBED', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
               timestamptz '2024-01-01 00:00:00+00'
        FROM generate_series(1, $2::int) AS g""", 2),
    ("""INSERT INTO playlists (id, tenant_id, user_id, name, public, track_count, created_at, updated_at)
        SELECT md5('pl:' || $1 || ':' || g)::uuid, md5('tenant:' || $1)::uuid,
               md5($1 || ':' || CASE WHEN g <= 20 THEN 1 ELSE g END)::uuid,
               'Mix ' || g || ' ' || (ARRAY['rock', 'jazz', 'pop', 'soul', 'blues'])[g % 5 + 1], g % 7 = 0, 0,
               timestamptz '2024-06-01 00:00:00+00' + g * interval '1 second', timestamptz '2024-06-01 00:00:00+00'
        FROM generate_series(1, $2::int) AS g""", 3),
)

TRACKS = (  # entries as the schema stores them: `position` 1..n (before migration 0011), or `rank` n * 2^32
    """INSERT INTO playlist_tracks (id, playlist_id, track_id, {order}, created_at, updated_at)
       SELECT md5('entry:' || $1::text || ':' || g)::uuid, $1::uuid, ((g % 3000) + 1)::text, {value},
              timestamptz '2024-06-01 00:00:00+00' + g * interval '1 second', now()
       FROM generate_series(1, $2::int) AS g""",
    "UPDATE playlists SET track_count = $2::int{rank_end} WHERE id = $1::uuid",
)
GAP = 1 << 32  # services.playlists.GAP


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SEED_DEMO": "false"}
    subprocess.run([sys.executable, "-m", "yourmusic.cli", "migrate"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def build(admin_url: str, db: str, rebuild: bool) -> None:
    admin = await asyncpg.connect(admin_url + "/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db)
        if exists and rebuild:
            await admin.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
            exists = False
        if not exists:
            await admin.execute(f'CREATE DATABASE "{db}"')
    finally:
        await admin.close()
    url = f"{admin_url}/{db}"
    migrate(url)  # this checkout's schema (a later run on other code migrates the same data forward)
    con = await asyncpg.connect(url)
    try:
        if await con.fetchval("SELECT to_regclass('bench_scale_built') IS NOT NULL"):
            print(f"data set: reusing database {db}")
            return
        t0 = time.monotonic()
        for slug, users, playlists in TENANTS:  # one transaction each: an interrupted build resumes
            if await con.fetchval("SELECT 1 FROM tenants WHERE slug = $1", slug):
                continue
            t1 = time.monotonic()
            async with con.transaction():
                for statement, n_args in LOAD:
                    await con.execute(statement, *{1: (slug,), 2: (slug, users), 3: (slug, playlists)}[n_args])
            print(f"  loaded {slug}: {users:,} users, {playlists:,} playlists in {time.monotonic() - t1:.1f} s")
        ranked = await con.fetchval("SELECT 1 FROM information_schema.columns WHERE table_name = 'playlist_tracks' "
                                    "AND column_name = 'rank'")
        spelled = ({"order": "rank", "value": f"g::bigint * {GAP}", "rank_end": f", rank_end = $2::bigint * {GAP}"}
                   if ranked else {"order": "position", "value": "g", "rank_end": ""})
        for n, size in enumerate(TRACK_PLAYLISTS, start=1):
            if await con.fetchval("SELECT track_count FROM playlists WHERE id = $1", uuid.UUID(playlist_id("scale-1m", n))):
                continue
            async with con.transaction():
                for statement in TRACKS:
                    await con.execute(statement.format(**spelled), playlist_id("scale-1m", n), size)
        if await con.fetchval("SELECT 1 FROM information_schema.columns WHERE table_name = 'playlists' "
                              "AND column_name = 'search_name'"):  # migration 0010: the folded name (ASCII here)
            await con.execute("UPDATE playlists SET search_name = lower(name) WHERE search_name = ''")
        await con.execute("VACUUM ANALYZE")
        await con.execute("CREATE TABLE bench_scale_built (at timestamptz)")
        await con.execute("INSERT INTO bench_scale_built VALUES (now())")
        print(f"data set: built database {db} in {time.monotonic() - t0:.0f} s")
    finally:
        await con.close()


# --- HTTP ------------------------------------------------------------------------------------------------

def tracks_cursor_after(pid: str, done: int) -> tuple[str, list]:
    """The scope and keyset values of a playlist-tracks cursor after `done` entries, as the code under test
    spells them: the entry's rank (`playlist.tracks.rank:` scope, since migration 0011) or its position."""
    try:
        from yourmusic.services.playlists import RANK_LIMIT  # noqa: F401  (code with sparse ranks)
    except ImportError:
        return f"playlist.tracks:{pid}", [done]
    return f"playlist.tracks.rank:{pid}", [done * GAP]


def forge_cursor(server, scope: str, values: list) -> str | None:
    """A keyset cursor as the server would issue it (signed with the key it derives from its generated
    signing keys), to start a walk deep in a list without walking to it; None on code without cursors."""
    try:
        from yourmusic.container import CURSOR_KEY_LABEL
        from yourmusic.pagination import Cursors
        from yourmusic.security.secrets import derive_key
        from yourmusic.security.tokens import load_key_set
    except ImportError:
        return None
    keys = load_key_set(None, Path(server.env["DATA_DIR"]))
    return Cursors(derive_key(keys, CURSOR_KEY_LABEL)).encode(scope, values)


def tenant_id(slug: str) -> str:
    import hashlib
    return str(uuid.UUID(hashlib.md5(f"tenant:{slug}".encode()).hexdigest()))


class Caller:
    """Tokens for one tenant: a client token (users list) and a user token of its first user (playlists)."""

    def __init__(self, server, slug: str) -> None:
        self.server = server
        self.base = server.url
        creds = server.cli("client", "create", "--tenant", slug)
        _, tok = http_json("POST", f"{self.base}/api/oauth/token", {"grant_type": "client_credentials", **creds})
        self.client = tok["access_token"]
        _, udt = http_json("POST", f"{self.base}/api/users/{user_id(slug, 1)}/udt", {"deviceId": str(uuid.uuid4())},
                           {"Authorization": f"Bearer {self.client}"})
        self.user = udt["token"]

    def get(self, path: str, user: bool = False) -> tuple[float, object]:
        token = self.user if user else self.client
        return http_json("GET", self.base + path, None, {"Authorization": f"Bearer {token}"})

    def graphql(self, query: str, variables: dict) -> tuple[float, object]:
        ms, body = http_json("POST", self.base + "/graphql", {"query": query, "variables": variables},
                             {"Authorization": f"Bearer {self.user}"})
        assert "errors" not in body, body
        return ms, body


TRACKS_QUERY = "query($id: ID!, $o: Int!, $l: Int!){ playlist(id: $id){ tracks(offset: $o, limit: $l){ order } } }"
TRACKS_AFTER = ("query($id: ID!, $after: String, $l: Int!){ playlist(id: $id){ tracksConnection(first: $l, after: $after)"
                "{ edges { node { order } } } } }")
EPOCH_USERS = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # user g was created EPOCH_USERS + g seconds (LOAD)


def cases(callers: dict[str, Caller]) -> list[tuple[str, str, int, object]]:
    """(table, size label, size, request thunk) for every measured request."""
    out: list[tuple[str, str, int, object]] = []
    for slug, users, playlists in TENANTS:
        c = callers[slug]
        last = -(-users // PER_PAGE)
        out.append(("users", "page 1", users, lambda c=c: c.get(f"/api/users?page=1&per_page={PER_PAGE}")))
        out.append(("users", f"last page ({last:,})", users,
                    lambda c=c, p=last: c.get(f"/api/users?page={p}&per_page={PER_PAGE}")))
        n = (last - 1) * PER_PAGE  # the last row before the last page
        deep = forge_cursor(c.server, f"users:{tenant_id(slug)}",
                            [EPOCH_USERS + dt.timedelta(seconds=n), user_id(slug, n)])
        if deep is not None:
            out.append(("users", "cursor, first page", users, lambda c=c: c.get(f"/api/users?cursor=&per_page={PER_PAGE}")))
            out.append(("users", "cursor, last page", users,
                        lambda c=c, d=deep: c.get(f"/api/users?cursor={d}&per_page={PER_PAGE}")))
    for slug, users, playlists in TENANTS:
        c = callers[slug]
        found = _search_total(c)
        last = max(1, -(-found // PER_PAGE))
        out.append(("playlists", f"mine ({OWNED})", playlists, lambda c=c: c.get("/api/playlists", user=True)))
        out.append(("playlists", "search page 1", playlists,
                    lambda c=c: c.get(f"/api/playlists/search?keyword={KEYWORD}&page=1&per_page={PER_PAGE}", True)))
        out.append(("playlists", f"search last page ({last:,} of {found:,} found)", playlists,
                    lambda c=c, p=last: c.get(f"/api/playlists/search?keyword={KEYWORD}&page={p}&per_page={PER_PAGE}",
                                              True)))
        out.append(("playlists", "search, no match", playlists,
                    lambda c=c: c.get(f"/api/playlists/search?keyword={MISSING}&page=1&per_page={PER_PAGE}", True)))
    big = callers["scale-1m"]
    for n, size in enumerate(TRACK_PLAYLISTS, start=1):
        pid = playlist_id("scale-1m", n)
        out.append(("tracks", f"first {TRACK_PAGE}", size,
                    lambda pid=pid: big.graphql(TRACKS_QUERY, {"id": pid, "o": 0, "l": TRACK_PAGE})))
        out.append(("tracks", f"last {TRACK_PAGE}", size,
                    lambda pid=pid, s=size: big.graphql(TRACKS_QUERY, {"id": pid, "o": s - TRACK_PAGE, "l": TRACK_PAGE})))
        deep = forge_cursor(big.server, *tracks_cursor_after(pid, size - TRACK_PAGE))
        if deep is not None:
            out.append(("tracks", f"connection, last {TRACK_PAGE}", size,
                        lambda pid=pid, d=deep: big.graphql(TRACKS_AFTER, {"id": pid, "after": d, "l": TRACK_PAGE})))
    return out


def _search_total(c: Caller) -> int:
    _, body = c.get(f"/api/playlists/search?keyword={KEYWORD}&page=1&per_page=1", user=True)
    return int(body["meta"]["total"])  # type: ignore[index]


def median_ms(thunk) -> float:
    thunk()  # warm
    return statistics.median(thunk()[0] for _ in range(RUNS))


# --- the sequence of issue 17.2 --------------------------------------------------------------------------

def sequence(callers: dict[str, Caller]) -> None:
    small, big = callers["scale-1k"], callers["scale-1m"]
    last = -(-TENANTS[2][1] // PER_PAGE)

    def page(c: Caller, p: int) -> float:
        return c.get(f"/api/users?page={p}&per_page={PER_PAGE}")[0]

    before = [page(small, 1) for _ in range(5)]
    deep = [page(big, last - k * 1000) for k in range(8)]
    after = [page(small, 1) for _ in range(8)]
    print("\n## Small tenant after big tenant (fresh server, `GET /api/users?page=1`, ms per request in order)\n")
    print(f"- 1k tenant, page 1, x5:             {', '.join(f'{x:.1f}' for x in before)}")
    print(f"- 1M tenant, 8 deep pages:           {', '.join(f'{x:.0f}' for x in deep)}")
    print(f"- 1k tenant, page 1 again, x8:       {', '.join(f'{x:.1f}' for x in after)}")


# --- EXPLAIN ---------------------------------------------------------------------------------------------

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def literal(value: bytes | None, fmt: int, pg_type: str) -> str:
    """A bound parameter (binary or text, as asyncpg sent it) as an SQL literal of its type."""
    if value is None:
        return f"NULL::{pg_type}"
    if fmt == 0:
        text = value.decode()
    elif pg_type == "uuid":
        text = str(uuid.UUID(bytes=value))
    elif pg_type in ("smallint", "integer", "bigint"):
        text = str(int.from_bytes(value, "big", signed=True))
    elif pg_type == "boolean":
        text = "true" if value == b"\x01" else "false"
    elif pg_type.startswith("timestamp"):
        text = (EPOCH + dt.timedelta(microseconds=struct.unpack("!q", value)[0])).isoformat()
    elif pg_type == "date":
        text = (EPOCH.date() + dt.timedelta(days=struct.unpack("!i", value)[0])).isoformat()
    else:
        text = value.decode()
    return "'" + text.replace("'", "''") + f"'::{pg_type}"


async def explain(url: str, shown: list[tuple[str, Executed]]) -> None:
    con = await asyncpg.connect(url)
    try:
        for label, ex in shown:
            await con.execute(f"PREPARE bench_q AS {ex.sql}")
            types = await con.fetchval("SELECT parameter_types::text[] FROM pg_prepared_statements "
                                       "WHERE name = 'bench_q'")
            args = ", ".join(literal(v, f, t) for v, f, t in zip(ex.params, ex.formats, types))
            call = f"EXECUTE bench_q({args})" if args else "EXECUTE bench_q"
            await con.execute("SET plan_cache_mode = force_custom_plan")
            custom = await con.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {call}")
            await con.execute("SET plan_cache_mode = force_generic_plan")
            generic = await con.fetch(f"EXPLAIN {call}")
            await con.execute("RESET plan_cache_mode")
            await con.execute("DEALLOCATE bench_q")
            print(f"\n### {label}\n\n```sql\n{ex.sql}\n-- {args}\n```\n\nPlan for these values (EXPLAIN ANALYZE, BUFFERS):\n"
                  "```")
            print("\n".join(r[0] for r in custom))
            print("```\nGeneric plan (what a prepared statement may switch to after 5 runs):\n```")
            print("\n".join(r[0] for r in generic))
            print("```")
    finally:
        await con.close()


# --- main ------------------------------------------------------------------------------------------------

def table(rows: list[tuple[str, str, int, float, int, int]], what: str) -> None:
    print(f"\n## {what}\n")
    print(f"| {'size':>10} | {'request':<40} | {'ms (median of 5)':>16} | {'round trips':>11} | {'statements':>10} |")
    print(f"|{'-' * 11}:|{'-' * 42}|{'-' * 17}:|{'-' * 12}:|{'-' * 11}:|")
    for _, label, size, ms, trips, stmts in rows:
        print(f"| {size:>10,} | {label:<40} | {ms:>16.1f} | {trips:>11} | {stmts:>10} |")


def main(args: argparse.Namespace) -> None:
    asyncio.run(build(args.pg, args.db, args.rebuild))
    url = f"{args.pg}/{args.db}"
    env = {"DATABASE_URL": url, "PLAYS_FORWARD": "false", "ACCESS_LOG": "false", "LOG_LEVEL": "warning"}
    git = args.label or subprocess.run(["git", "log", "-1", "--format=%h %s"], capture_output=True,
                                       text=True).stdout.strip()
    print(f"code: {git}  (python {sys.version.split()[0]}, {os.cpu_count()} cores shared: figures are noisy)")

    counter = WireCounter()
    parsed = urllib.parse.urlsplit(url)
    proxied = urllib.parse.urlunsplit(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{counter.port}"))
    counted: list[tuple[int, int, list[Executed]]] = []
    try:
        with serve(workers=1, extra_env={**env, "DATABASE_URL": proxied, "PGSSLMODE": "disable"}) as server:
            callers = {slug: Caller(server, slug) for slug, _, _ in TENANTS}
            for _, _, _, thunk in cases(callers):  # first: a failure here costs little
                thunk()  # warm: tokens checked, statements prepared
                counter.mark()
                thunk()
                time.sleep(0.05)  # the release after the answer
                tally = counter.mark()
                counted.append((tally.round_trips, len(tally.executed), tally.executed))
    finally:
        counter.close()

    with serve(workers=1, extra_env=env) as server:
        callers = {slug: Caller(server, slug) for slug, _, _ in TENANTS}
        concurrent = None
        if args.no_timings:
            timings = [(t, label, size, float("nan")) for t, label, size, _ in cases(callers)]
        else:
            sequence(callers)
            timings = [(t, label, size, median_ms(thunk)) for t, label, size, thunk in cases(callers)]
            big = callers["scale-1m"]  # the largest GET: the 10,000-entry playlist with its tracks
            concurrent = asyncio.run(measure_http(server.url, big.client, big.user, CONCURRENT_READS, 2,
                                                  server.proc.pid, playlist_id("scale-1m", len(TRACK_PLAYLISTS))))

    rows = [(t, label, size, ms, trips, n) for (t, label, size, ms), (trips, n, _) in zip(timings, counted)]
    table([r for r in rows if r[0] == "users"], "Users: `GET /api/users` (client token), by tenant size in users")
    table([r for r in rows if r[0] == "playlists"],
          "Playlists: `GET /api/playlists`, `GET /api/playlists/search` (user token), by playlists in the tenant")
    table([r for r in rows if r[0] == "tracks"], "A playlist's tracks: GraphQL `tracks(offset, limit)`, by entries")

    if concurrent is not None:
        print(f"\n## The largest GET beside a concurrent small read (`GET /api/playlists/{{id}}?with=tracks`, "
              f"{TRACK_PLAYLISTS[-1]:,} entries; issue 17.6, bench/big_playlist.py)")
        report_http(concurrent, CONCURRENT_READS, 2)

    print("\n## The statements of one request (`GET /api/users?page=1`, 1M tenant)\n")
    one = next(i for i, (t, label, size, _) in enumerate(timings) if (t, label, size) == ("users", "page 1", 1_000_000))
    for ex in counted[one][2]:
        print(f"- {'Q ' if ex.simple else 'E '}{' '.join(ex.sql.split())[:160]}")

    print("\n## EXPLAIN of every list statement (largest size of each list)\n")
    largest = {t: max(size for tt, _, size, _ in timings if tt == t) for t, _, _, _ in timings}
    shown: list[tuple[str, Executed]] = []
    for (t, label, size, _), (_, _, executed) in zip(timings, counted):
        if size != largest[t]:
            continue
        for ex in executed:
            lowered = " ".join(ex.sql.lower().split())
            if not ex.simple and lowered.startswith("select") and ("order by" in lowered or "count(" in lowered):
                shown.append((f"{t}: {label}, size {size:,}", ex))
    asyncio.run(explain(url, shown))

    if args.drop:
        asyncio.run(_drop(args.pg, args.db))


async def _drop(admin_url: str, db: str) -> None:
    admin = await asyncpg.connect(admin_url + "/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="ym_bench_scale")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the data set")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--no-timings", action="store_true", help="statements and plans only")
    parser.add_argument("--label", default="", help="what code this is (default: git log -1)")
    main(parser.parse_args())
