"""Live fan-out: 1,000 GraphQL subscribers on ONE worker receive a playlist change made through REST.

    PYTHONPATH=$PWD /work/main/.venv/bin/python bench/live_fanout.py [--subscribers 1000] [--changes 5]

A throwaway stack (bench/_stack.py: PostgreSQL and Redis of its own) with `yourmusic serve --workers 1`,
run twice on the same database: with REDIS_URL (events through Redis pub/sub, as in production) and
without it (the in-process bus). One tenant; 100 users (LIVE_CONNECTIONS_PER_USER is 10): user 0 owns a
public playlist, users 1..99 read it; each user holds 10 WebSockets (graphql-transport-ws, one
`playlistChanged` subscription each; the client offers permessage-deflate, as browsers do, unless
--no-deflate). All clients run in this one asyncio process.

Per mode:
- reference: ONE subscriber alone; `--changes` renames (PATCH /api/playlists/{id}); delivery latency =
  from the start of the REST call to the subscriber's `next` carrying the new name;
- fan-out: the same with `--subscribers` connections open; p50/p99/max over every subscriber and change
  (and the ratio of p50 to the reference's), how long the REST call itself took, missed deliveries;
- memory: the worker's RSS with one idle WebSocket, then with all subscribers connected and subscribed;
  the difference divided by the number of connections.

The client shares the machine's cores with the server: a latency includes the client's own time to read
1,000 frames (printed: the time the client took to take all deliveries of one change).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import Process, call, free_port, rss_mb, stack

QUERY = "subscription ($id: ID!) { playlistChanged(id: $id) { id name public trackCount updatedAt } }"
PER_USER = 10
PY_SPY: str | None = None  # --py-spy
COMPRESSION: str | None = "deflate"  # what the clients offer (browsers offer permessage-deflate); --no-deflate: none


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < needed:
        raise SystemExit(f"ulimit -n is {soft}; {needed} file descriptors are needed")


def server_pid(proc: Process) -> int:
    """The worker's pid: uvicorn's child when it forked one, else the serve process itself."""
    assert proc.proc is not None
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.proc.pid)], capture_output=True, text=True,
                         check=False).stdout
    children = [int(p) for p in out.split()]
    return children[0] if len(children) == 1 else proc.proc.pid


@dataclass
class Subscriber:
    ws: object
    seen: dict[str, float] = field(default_factory=dict)  # name -> perf_counter at its `next`
    reader: asyncio.Task | None = None


async def subscribe(ws_url: str, token: str, playlist: str) -> Subscriber:
    ws = await websockets.connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=30, max_queue=None,
                                  compression=COMPRESSION)
    await ws.send(orjson.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}).decode())
    ack = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
    assert ack["type"] == "connection_ack", ack
    await ws.send(orjson.dumps({"id": "1", "type": "subscribe",
                                "payload": {"query": QUERY, "variables": {"id": playlist}}}).decode())
    sub = Subscriber(ws)
    first = asyncio.get_running_loop().create_future()

    async def read() -> None:
        async for frame in ws:
            now = time.perf_counter()
            message = orjson.loads(frame)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
            elif message["type"] == "next":
                sub.seen[message["payload"]["data"]["playlistChanged"]["name"]] = now
                if not first.done():
                    first.set_result(None)
            else:
                if not first.done():
                    first.set_exception(RuntimeError(f"unexpected {message}"))
                print(f"  unexpected message: {message}")

    sub.reader = asyncio.create_task(read())
    await asyncio.wait_for(first, 60)
    return sub


async def close_all(subs: list[Subscriber]) -> None:
    async def close(sub: Subscriber) -> None:
        sub.reader.cancel()
        with contextlib.suppress(Exception):  # already closed by the server: nothing to do
            await sub.ws.close()

    await asyncio.gather(*(close(s) for s in subs))


async def changes(base: str, owner: str, playlist: str, subs: list[Subscriber], n: int, label: str) -> dict:
    """`n` renames through REST; each subscriber's delay from the call's start to its `next`."""
    delays: list[float] = []
    rest_ms: list[float] = []
    drain_ms: list[float] = []
    missed = 0
    loop = asyncio.get_running_loop()
    for i in range(n):
        name = f"{label} change {i} {uuid.uuid4().hex[:6]}"
        t0 = time.perf_counter()
        status, _ = await loop.run_in_executor(
            None, call, "PATCH", f"{base}/api/playlists/{playlist}", {"playlist_name": name}, owner)
        rest_ms.append((time.perf_counter() - t0) * 1000)
        assert status == 200, status
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and not all(name in s.seen for s in subs):
            await asyncio.sleep(0.01)
        got = [s.seen[name] - t0 for s in subs if name in s.seen]
        missed += len(subs) - len(got)
        delays.extend(got)
        if got:
            drain_ms.append((max(got) - min(got)) * 1000)
        await asyncio.sleep(0.5)
    return {"delays": delays, "rest_ms": rest_ms, "drain_ms": drain_ms, "missed": missed}


def pct(data: list[float], q: float) -> float:
    s = sorted(data)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


async def measure(label: str, base: str, pid: int, owner: str, tokens: list[str], playlist: str,
                  subscribers: int, n_changes: int) -> None:
    ws_url = base.replace("http://", "ws://") + "/graphql"
    # Warm the worker (imports, schema caches, the bus's first subscription), then the baseline.
    assignment = [tokens[i // PER_USER] for i in range(subscribers)]  # owner's and readers' connections
    warm = await subscribe(ws_url, assignment[-1], playlist)
    ref = await changes(base, owner, playlist, [warm], n_changes, f"{label} ref")
    await asyncio.sleep(0.5)
    rss_before = rss_mb(pid)

    subs: list[Subscriber] = []
    t0 = time.perf_counter()
    users = assignment[:-1]  # `warm` is the last one
    batch = 50
    for i in range(0, len(users), batch):
        subs.extend(await asyncio.gather(*(subscribe(ws_url, t, playlist) for t in users[i:i + batch])))
    opened = time.perf_counter() - t0
    subs.append(warm)
    await asyncio.sleep(1.0)
    rss_after = rss_mb(pid)
    spy = None
    if PY_SPY:
        out = f"/tmp/live_fanout-{'redis' if 'Redis' in label else 'local'}.raw"
        spy = subprocess.Popen(  # noqa: ASYNC220 - started once, before the measured changes
            [PY_SPY, "record", "-p", str(pid), "-f", "raw", "-o", out, "-r", "200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(2.0)
    fan = await changes(base, owner, playlist, subs, n_changes, f"{label} fan")
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)
    rss_end = rss_mb(pid)

    d_ref, d_fan = ref["delays"], fan["delays"]
    print(f"--- {label}")
    print(f"reference, 1 subscriber, {n_changes} changes:   p50 {pct(d_ref, .5):7.1f} ms   p99 {pct(d_ref, .99):7.1f} ms"
          f"   max {max(d_ref) * 1000:7.1f} ms   (REST call p50 {statistics.median(ref['rest_ms']):.1f} ms)")
    print(f"{len(subs)} subscribers, {n_changes} changes:  p50 {pct(d_fan, .5):7.1f} ms   p99 {pct(d_fan, .99):7.1f} ms"
          f"   max {max(d_fan) * 1000:7.1f} ms   missed {fan['missed']} of {len(subs) * n_changes}")
    print(f"  p50 ratio to the reference: {pct(d_fan, .5) / pct(d_ref, .5):.1f}x;  REST call p50 "
          f"{statistics.median(fan['rest_ms']):.1f} ms;  first-to-last delivery of one change p50 "
          f"{statistics.median(fan['drain_ms']):.1f} ms")
    per_change = [f"{pct(fan['delays'][i * len(subs):(i + 1) * len(subs)], .99):.0f}" for i in range(n_changes)]
    print(f"  p99 per change (ms): {', '.join(per_change)}")
    print(f"memory: worker RSS {rss_before:.1f} MB with 1 subscriber -> {rss_after:.1f} MB with {len(subs)} "
          f"(after the changes {rss_end:.1f} MB): {(rss_after - rss_before) * 1024 / (len(subs) - 1):.1f} KB "
          f"per connection (opened in {opened:.1f} s)")
    await close_all(subs)
    await asyncio.sleep(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--no-deflate", action="store_true",
                        help="clients do not offer permessage-deflate (shows what compression costs)")
    parser.add_argument("--py-spy", metavar="BINARY",
                        help="sample the worker with this py-spy during the fan-out changes; stacks to "
                             "/tmp/live_fanout-<mode>.raw (collapsed), latencies then include the sampling")
    args = parser.parse_args()
    global COMPRESSION, PY_SPY
    COMPRESSION = None if args.no_deflate else "deflate"
    PY_SPY = args.py_spy
    raise_fd_limit(args.subscribers + 200)
    users = (args.subscribers + PER_USER - 1) // PER_USER
    print(f"live fan-out: {args.subscribers} subscribers on one worker, {users} users x {PER_USER} connections, "
          f"{args.changes} changes, permessage-deflate {'off' if args.no_deflate else 'offered'}; python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average at start {os.getloadavg()[0]:.2f}")
    with stack(workers=1) as s:
        s.cli("tenant", "create", "live")
        creds = s.cli("client", "create", "--tenant", "live")
        _, tok = call("POST", f"{s.url}/api/oauth/token", {"grant_type": "client_credentials", **creds})
        client = tok["access_token"]
        tokens = []
        for i in range(users):
            _, user = call("POST", f"{s.url}/api/users", {"first_name": "Live", "last_name": f"U{i}",
                                                          "email": f"live{i}@example.com",
                                                          "date_of_birth": "1990-01-01"}, client)
            _, udt = call("POST", f"{s.url}/api/users/{user['id']}/udt", {"deviceId": str(uuid.uuid4())}, client)
            tokens.append(udt["token"])
        owner = tokens[0]
        _, pl = call("POST", f"{s.url}/api/playlists", {"playlist_name": "Fan-out", "public": True}, owner)
        playlist = pl["id"]

        asyncio.run(measure("Redis bus (REDIS_URL set)", s.url, server_pid(s.app), owner, tokens, playlist,
                            args.subscribers, args.changes))
        s.app.terminate()

        env = {k: v for k, v in s.env.items() if k != "REDIS_URL"}
        port = free_port()
        local = Process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port), "--workers", "1"],
                        env, port, s.tmp / "app-local.log")
        local.start()
        try:
            asyncio.run(measure("in-process bus (no REDIS_URL)", f"http://127.0.0.1:{port}", server_pid(local),
                                owner, tokens, playlist, args.subscribers, args.changes))
        finally:
            local.terminate()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
