"""Issue 17.6: one 10,000-track playlist's answer against a small read on the same worker.

On a throwaway PostgreSQL database (the checked-out code's migrations): one tenant, one user, one
playlist of 10,000 entries over 3,000 distinct catalog tracks (bulk-loaded by SQL). Then, against ONE
uvicorn worker of the real `yourmusic serve` (its embedded sandbox aggregator and streaming server;
every catalog answer cached before anything is measured):

- the big GET `GET /api/playlists/{id}?with=tracks`: its size, how it is sent (Content-Length or
  chunked) and its time (median of 5, read to the last byte);
- a small cached read (`GET /api/tracks/{id}`, client token) alone, then while big GETs run back to back
  on another connection (curl, in a process of its own): p50 and p99 of each, and the ratio p99 under load / p99 alone (target < 3);
- the worker's resident memory (VmRSS after the run, VmHWM: its peak since it started).

Then, in this process (the same code, the same database and upstreams, cache warmed), one big GET
driven through the ASGI app with the body discarded as it is sent:
- the longest the event loop went without running another task during it (a task that yields at every
  turn of the loop measures the CPU time between its turns: time descheduled by the OS is not counted);
- the Python heap allocated at its peak (tracemalloc), the answer's bytes excluded (sent away);
and the longest stall during GraphQL's longest list of entries, `tracks(limit: 500)` with each track.

Usage: .venv/bin/python bench/big_playlist.py [--pg postgres://postgres@127.0.0.1:5432] [--db ym_bench_big]
       [--small 500] [--rounds 3] [--label TEXT]
For a before/after comparison, run it with PYTHONPATH pointing at another checkout (`git archive`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import http_json, serve  # noqa: E402

ENTRIES = 10_000
DISTINCT = 3_000  # catalog tracks 1..3000 (the sandbox catalog has 3,503)
GAP = 1 << 32  # services.playlists.GAP: entries ranked as appends and renumbering leave them
SLUG = "big-playlist"
SMALL_TRACK = "5"
TENANT = uuid.UUID(int=0x17_6)
USER = uuid.UUID(int=0x17_61)
PLAYLIST = uuid.UUID(int=0x17_62)

GRAPHQL_TRACKS = ("query($id: ID!){ playlist(id: $id){ tracks(offset: 9000, limit: 500){ order trackId "
                  "track { id title } } } }")  # GraphQL's longest list (its limit)

LOAD = (
    ("INSERT INTO tenants (id, slug, name, created_at, updated_at) VALUES ($1, $2, $2, now(), now())",
     (TENANT, SLUG)),
    ("""INSERT INTO users (id, tenant_id, email, email_key, first_name, last_name, date_of_birth, status,
                           created_at, updated_at)
        VALUES ($1, $2, 'big@example.com', 'big@example.com', 'Big', 'List', date '1990-01-01', 'UNSUBSCRIBED',
                now(), now())""", (USER, TENANT)),
    ("""INSERT INTO playlists (id, tenant_id, user_id, name, public, track_count, rank_end, created_at, updated_at)
        VALUES ($1, $2, $3, 'Ten thousand', false, $4::int, $4::int * $5::bigint, now(), now())""",
     (PLAYLIST, TENANT, USER, ENTRIES, GAP)),
    ("""INSERT INTO playlist_tracks (id, playlist_id, track_id, rank, created_at, updated_at)
        SELECT md5('entry:' || g)::uuid, $1, ((g % $3::int) + 1)::text, g * $4::bigint,
               timestamptz '2025-01-01 00:00:00+00' + g * interval '1.5 second', now()
        FROM generate_series(1, $2::int) AS g""", (PLAYLIST, ENTRIES, DISTINCT, GAP)),
)


async def build(admin_url: str, db: str) -> str:
    """A fresh database with the checked-out code's schema and the one big playlist."""
    admin = await asyncpg.connect(admin_url + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{db}"')
    finally:
        await admin.close()
    url = f"{admin_url}/{db}"
    subprocess.run([sys.executable, "-m", "yourmusic.cli", "migrate"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**os.environ, "DATABASE_URL": url, "SEED_DEMO": "false"})
    con = await asyncpg.connect(url)
    try:
        async with con.transaction():
            for statement, values in LOAD:
                await con.execute(statement, *values)
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()
    return url


async def drop(admin_url: str, db: str) -> None:
    admin = await asyncpg.connect(admin_url + "/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    await admin.close()


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))]


async def timed_get(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> tuple[float, int]:
    """(milliseconds to the last byte, bytes)."""
    t0 = time.perf_counter()
    async with session.get(url, headers=headers) as r:
        size = 0
        async for part in r.content.iter_any():
            size += len(part)
        assert r.status == 200, r.status
    return (time.perf_counter() - t0) * 1000, size


async def small_reads(url: str, headers: dict[str, str], n: int) -> list[float]:
    async with aiohttp.ClientSession() as session:
        for _ in range(20):
            await timed_get(session, url, headers)
        return [(await timed_get(session, url, headers))[0] for _ in range(n)]


async def measure_http(base: str, client: str, user: str, n_small: int, rounds_n: int,
                       server_pid: int, playlist: uuid.UUID | str = PLAYLIST) -> dict[str, object]:
    """The big GET of `playlist` (user token `user`) alone, then the small cached read (client token)
    alone and under big GETs, `rounds_n` alternated rounds of `n_small` reads."""
    big_url = f"{base}/api/playlists/{playlist}?with=tracks"
    small_url = f"{base}/api/tracks/{SMALL_TRACK}"
    user_h, client_h = {"Authorization": f"Bearer {user}"}, {"Authorization": f"Bearer {client}"}
    out: dict[str, object] = {}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):  # the first one fills the catalog cache (3,000 tracks, their stream ids)
            await timed_get(session, big_url, user_h)
        async with session.get(big_url, headers=user_h) as r:
            out["headers"] = {k: v for k, v in r.headers.items()
                              if k.lower() in ("content-type", "content-length", "transfer-encoding", "etag",
                                               "cache-control")}
            await r.read()
        cpu = cpu_seconds(server_pid)
        big = [await timed_get(session, big_url, user_h) for _ in range(5)]
        out["big_cpu_ms"] = (cpu_seconds(server_pid) - cpu) / 5 * 1000
    out["big_ms"] = statistics.median(ms for ms, _ in big)
    out["big_bytes"] = big[0][1]
    rounds = []
    for _ in range(rounds_n):  # alternated, so both phases meet the same background load
        solo = await small_reads(small_url, client_h, n_small)
        looping = big_loop(big_url, user)
        await asyncio.sleep(0.3)  # the first big GET under way
        loaded = await small_reads(small_url, client_h, n_small)
        rounds.append((solo, loaded, stop_big_loop(looping)))
    out["rounds"] = rounds
    return out


def big_loop(url: str, token: str) -> subprocess.Popen[str]:
    """Big GETs back to back from another process (curl: reading 14 MB a time must not slow this
    process's small reads), each one's seconds to the last byte on a line."""
    script = 'while :; do curl -sf -o /dev/null -w "%{time_total}\\n" -H "$AUTH" "$URL" || exit 1; done'
    return subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "AUTH": f"Authorization: Bearer {token}", "URL": url})


def stop_big_loop(proc: subprocess.Popen[str]) -> list[float]:
    """Stops the loop (its own process group) and answers the milliseconds of the big GETs it finished."""
    os.killpg(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    return [float(line) * 1000 for line in out.split()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (/proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


async def in_process(url: str, server_url: str, data_dir: str, user: str) -> dict[str, float]:
    """One big GET through the ASGI app in this process: the longest event-loop stall, the heap peak."""
    from yourmusic.app import create_app
    from yourmusic.settings import Settings

    settings = Settings(database_url=url, data_dir=Path(data_dir), seed_demo=False, plays_forward=False,
                        access_log=False, aggregator_url=f"{server_url}/_sandbox/aggregator/1.2",
                        streaming_url=f"{server_url}/_sandbox/streaming", self_url=server_url)
    app = create_app(settings)
    rest = ("GET", f"/api/playlists/{PLAYLIST}", b"with=tracks", b"")
    graphql = ("POST", "/graphql", b"", orjson.dumps({"query": GRAPHQL_TRACKS, "variables": {"id": str(PLAYLIST)}}))

    async def call(request: tuple[str, str, bytes, bytes]) -> int:
        """The request through the ASGI app; answers the bytes sent (counted, then dropped)."""
        method, path, query, body = request
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
                 "root_path": "", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000),
                 "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {user}".encode()),
                             (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
        sent = 0
        status = 0
        received = False

        async def receive() -> dict[str, object]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # no disconnect while the answer is sent
            return {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            nonlocal sent, status
            if message["type"] == "http.response.start":
                status = int(message["status"])  # type: ignore[call-overload]
            else:
                sent += len(message.get("body", b""))  # type: ignore[arg-type]

        await app(scope, receive, send)
        assert status == 200, status
        return sent

    async def stalls(request: tuple[str, str, bytes, bytes]) -> list[float]:
        """The longest CPU time between two turns of the loop during each of 5 requests, in ms."""
        out = []
        for _ in range(5):
            gaps: list[float] = []
            done = asyncio.Event()

            async def ticker(gaps: list[float], done: asyncio.Event) -> None:
                # CPU time of this thread, not wall time: the machine is shared, and time spent descheduled
                # by the OS is not time the loop was held by the request.
                last = time.thread_time()
                while not done.is_set():
                    await asyncio.sleep(0)  # every turn of the loop: a gap is what ran in between
                    now = time.thread_time()
                    gaps.append(now - last)
                    last = now

            tick = asyncio.create_task(ticker(gaps, done))
            await asyncio.sleep(0.01)
            await call(request)
            done.set()
            await tick
            out.append(max(gaps) * 1000)
        return out

    async with app.router.lifespan_context(app):
        for _ in range(2):  # this process's cache filled
            await call(rest)
            await call(graphql)
        rest_stalls, graphql_stalls = await stalls(rest), await stalls(graphql)
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        sent = await call(rest)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return {"stall_ms": statistics.median(rest_stalls), "stalls": rest_stalls, "heap_peak_mb": peak / 1e6,
            "sent": sent, "graphql_stall_ms": statistics.median(graphql_stalls), "graphql_stalls": graphql_stalls}


def report_http(http: dict[str, object], n_small: int, rounds_n: int) -> None:
    """`measure_http`'s figures: the big GET, the small read's table, the p99 ratio."""
    rounds = http["rounds"]
    solo = [x for r in rounds for x in r[0]]  # type: ignore[attr-defined]
    loaded = [x for r in rounds for x in r[1]]  # type: ignore[attr-defined]
    bigs = [x for r in rounds for x in r[2]]  # type: ignore[attr-defined]
    print()
    print(f"- big GET `GET /api/playlists/{{id}}?with=tracks`: {http['big_bytes']:,} bytes, "
          f"{http['big_ms']:.0f} ms to the last byte (median of 5, alone), {http['big_cpu_ms']:.0f} ms of the "
          "worker's CPU each (mean of the 5)")
    print(f"- its headers: {http['headers']}")
    print(f"- big GETs completed while the small reads ran: {len(bigs)} (median {statistics.median(bigs):.0f} ms each)")
    print(f"\n| small cached read `GET /api/tracks/{SMALL_TRACK}` ({rounds_n} rounds of {n_small}, "
          "alone then under load) | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    for n, (a, b, _) in enumerate(rounds, start=1):  # type: ignore[misc]
        print(f"| round {n} alone | {pct(a, 0.5):.2f} | {pct(a, 0.99):.2f} | {max(a):.2f} |")
        print(f"| round {n} while big GETs run back to back | {pct(b, 0.5):.2f} | {pct(b, 0.99):.2f} | {max(b):.2f} |")
    print(f"| all rounds alone | {pct(solo, 0.5):.2f} | {pct(solo, 0.99):.2f} | {max(solo):.2f} |")
    print(f"| all rounds while big GETs run | {pct(loaded, 0.5):.2f} | {pct(loaded, 0.99):.2f} | {max(loaded):.2f} |")
    ratios = [pct(b, 0.99) / pct(a, 0.99) for a, b, _ in rounds]  # type: ignore[misc]
    print(f"\n**concurrent-read p99 / solo p99 = {pct(loaded, 0.99) / pct(solo, 0.99):.2f}** (all rounds; target < 3; "
          f"per round: {', '.join(f'{r:.2f}' for r in ratios)})")


def main(args: argparse.Namespace) -> None:
    import yourmusic

    label = args.label or subprocess.run(["git", "log", "-1", "--format=%h %s"], capture_output=True, text=True,
                                         cwd=Path(yourmusic.__file__).parent, check=False).stdout.strip()[:100]
    print(f"code: {label} ({Path(yourmusic.__file__).parent})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores shared with other work: figures are noisy")
    url = asyncio.run(build(args.pg, args.db))
    env = {"DATABASE_URL": url, "PLAYS_FORWARD": "false", "ACCESS_LOG": "false", "LOG_LEVEL": "warning"}
    try:
        with serve(workers=1, extra_env=env) as server:
            creds = server.cli("client", "create", "--tenant", SLUG)
            _, tok = http_json("POST", f"{server.url}/api/oauth/token", {"grant_type": "client_credentials", **creds})
            client = tok["access_token"]
            _, udt = http_json("POST", f"{server.url}/api/users/{USER}/udt", {"deviceId": str(uuid.uuid4())},
                               {"Authorization": f"Bearer {client}"})
            user = udt["token"]
            http = asyncio.run(measure_http(server.url, client, user, args.small, args.rounds, server.proc.pid))
            mem = memory(server.proc.pid)
            local = asyncio.run(in_process(url, server.url, server.env["DATA_DIR"], user))
    finally:
        asyncio.run(drop(args.pg, args.db))

    print(f"\n## One playlist of {ENTRIES:,} entries ({DISTINCT:,} distinct tracks), one uvicorn worker, PostgreSQL")
    report_http(http, args.small, args.rounds)
    print(f"\n- worker memory after the run: VmRSS {mem['VmRSS'] / 1024:.0f} MB, peak VmHWM {mem['VmHWM'] / 1024:.0f} MB")
    print(f"- in process, one big GET (cache warm, body sent away: {local['sent']:,} bytes): longest event-loop "
          f"stall (CPU time) {local['stall_ms']:.1f} ms (median of 5: {', '.join(f'{s:.1f}' for s in local['stalls'])}); "
          f"Python heap peak {local['heap_peak_mb']:.1f} MB (tracemalloc)")
    print(f"- in process, GraphQL `tracks(offset: 9000, limit: 500) {{ order trackId track {{ id title }} }}`: "
          f"longest event-loop stall (CPU time) {local['graphql_stall_ms']:.1f} ms (median of 5: "
          f"{', '.join(f'{s:.1f}' for s in local['graphql_stalls'])})")
    print(f"- load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])} (2 cores, shared)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="ym_bench_big")
    parser.add_argument("--small", type=int, default=500, help="small reads per phase")
    parser.add_argument("--rounds", type=int, default=3, help="alone / under load rounds")
    parser.add_argument("--label", default="", help="what code this is (default: git log -1 of its checkout)")
    main(parser.parse_args())
