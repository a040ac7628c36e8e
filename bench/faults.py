"""Faults during load (issue 9): the aggregator sandbox killed and restarted, Redis stopped and
started, PostgreSQL restarted, while 32 clients keep sending a mix (catalog reads over the whole
catalogue, home, me, playlist adds). Prints, per fault, what clients saw while the dependency was down
(status and contract code counts), how long after the restart errors stopped, and whether every
acknowledged write (2xx playlist add) is in the database.
Usage: .venv/bin/python bench/faults.py [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import call, seed, stack  # noqa: E402


@dataclass
class Event:
    t: float
    kind: str
    status: int
    code: str


async def client_loop(session: aiohttp.ClientSession, base: str, data: dict, stop: float, events: list[Event],
                      t0: float, acked: collections.Counter) -> None:
    rnd = random.Random()
    while time.monotonic() < stop:
        u = rnd.randrange(len(data["tokens"]))
        headers = {"Authorization": f"Bearer {data['tokens'][u]}"}
        r = rnd.random()
        if r < 0.35:
            kind, method, url, body = "catalog", "GET", f"{base}/api/tracks/{rnd.randint(1, 3503)}", None
        elif r < 0.55:
            kind, method, url, body = "home", "GET", f"{base}/api/home", None
        elif r < 0.75:
            kind, method, url, body = "me", "GET", f"{base}/api/me", None
        else:
            kind, method, url = "write", "POST", f"{base}/api/playlists/{data['playlists'][u]}/tracks"
            body = {"track_id": str(rnd.randint(1, 50))}  # warm in the cache: a write needs no upstream
        started = time.monotonic()
        try:
            async with session.request(method, url, json=body, headers=headers) as resp:
                payload = await resp.read()
                status = resp.status
                code = ""
                if status >= 400:
                    try:
                        import json

                        code = str(json.loads(payload).get("code") or json.loads(payload).get("message", ""))[:40]
                    except Exception:  # noqa: BLE001
                        code = "?"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            status, code = 0, type(exc).__name__
        if kind == "write" and 200 <= status < 300:
            acked[data["playlists"][u]] += 1
        events.append(Event(started - t0, kind, status, code))


def summarise(events: list[Event], name: str, down: float, up: float, kinds: tuple[str, ...], until: float) -> str:
    during = [e for e in events if down <= e.t < up]
    seen = collections.Counter((e.kind, e.status, e.code) for e in during)
    ok = sum(1 for e in during if 200 <= e.status < 400)
    after_errors = [e.t for e in events if up <= e.t < until - 1 and e.kind in kinds and not (200 <= e.status < 400)]
    recovery = (max(after_errors) - up) if after_errors else 0.0
    errors = {f"{k} {s} {c}".strip(): n for (k, s, c), n in sorted(seen.items()) if not (200 <= s < 400)}
    return (f"- {name}: down {up - down:.0f}s: {len(during)} requests, {ok} ok; errors: {errors or 'none'}\n"
            f"  errors stopped {recovery:.1f}s after the restart "
            f"(last failing {','.join(kinds)} request at +{recovery:.1f}s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    env = {"AGGREGATOR_BREAKER_RESET": "2", "AGGREGATOR_TIMEOUT": "2"}
    with stack(workers=2, extra_env=env) as s:
        data = seed(s, args.users)
        for t in range(1, 51):  # warm the ids writes use
            call("GET", f"{s.url}/api/tracks/{t}", token=data["client"])
        rows_before = int(s.pg.psql("SELECT count(*) FROM playlist_tracks"))
        plan = [  # (at second, action)
            (8, "kill aggregator"), (16, "start aggregator"),
            (24, "stop redis"), (32, "start redis"),
            (40, "stop postgres"), (46, "start postgres"),
            (60, "end"),
        ]
        marks: dict[str, float] = {}
        events: list[Event] = []
        acked: collections.Counter = collections.Counter()
        t0 = time.monotonic()

        def operator() -> None:
            for at, action in plan:
                time.sleep(max(0.0, t0 + at - time.monotonic()))
                marks[action] = time.monotonic() - t0
                if action == "kill aggregator":
                    s.aggregator.kill()
                elif action == "start aggregator":
                    s.aggregator.start()
                elif action == "stop redis":
                    s.redis.stop()
                elif action == "start redis":
                    s.redis.start()
                elif action == "stop postgres":
                    s.pg.stop("fast")
                elif action == "start postgres":
                    s.pg.start()
                print(f"  +{marks[action]:5.1f}s {action}", flush=True)

        thread = threading.Thread(target=operator)
        thread.start()

        async def load() -> None:
            timeout = aiohttp.ClientTimeout(total=15)
            async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
                await asyncio.gather(*(client_loop(session, s.url, data, t0 + 62, events, t0, acked)
                                       for _ in range(args.concurrency)))

        asyncio.run(load())
        thread.join()
        time.sleep(1)
        rows = {pid: int(n) for pid, n in (line.split("|") for line in s.pg.psql(
            "SELECT playlist_id, count(*) FROM playlist_tracks GROUP BY playlist_id").splitlines())}
        rows_after = sum(rows.values())
        total_acked = sum(acked.values())
        lost = sum(max(0, 10 + acked[pid] - rows.get(pid, 0)) for pid in data["playlists"])
        print(f"\n{len(events)} requests in 62 s at concurrency {args.concurrency}, 2 workers, PostgreSQL + Redis")
        print(summarise(events, "aggregator killed", marks["kill aggregator"], marks["start aggregator"], ("catalog",),
                        marks["stop redis"]))
        print(summarise(events, "Redis stopped", marks["stop redis"], marks["start redis"], ("catalog", "home", "me", "write"),
                        marks["stop postgres"]))
        print(summarise(events, "PostgreSQL stopped", marks["stop postgres"], marks["start postgres"],
                        ("home", "me", "write"), marks["end"]))
        quiet = [e for e in events if e.t < marks["kill aggregator"] or e.t > marks["start postgres"] + 10]
        print(f"- outside the faults (before the first, 10 s after the last): "
              f"{sum(1 for e in quiet if not (200 <= e.status < 400))} errors of {len(quiet)}")
        odd = collections.Counter(f"{e.kind} {e.status} {e.code}" for e in quiet if not (200 <= e.status < 400))
        if odd:
            print(f"  those: {dict(odd)}")
        import json as _json

        for line in (s.tmp / "app.log").read_text(errors="replace").splitlines():
            if line.startswith("{") and '"unhandled error' in line:
                record = _json.loads(line)
                print(f"  app: {record['msg']}: {(record.get('exc') or '').strip().splitlines()[-1:]}")
        print(f"writes: {total_acked} acknowledged (2xx), playlist rows {rows_before} -> {rows_after} "
              f"(+{rows_after - rows_before}); acknowledged writes missing: {lost}")


if __name__ == "__main__":
    main()
