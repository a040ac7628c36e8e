"""Issue 10: YourMusic against the GraphQL.js reference server and the bare-Starlette ceiling.

In one run on one machine, one process each (and 2 workers for case 4), servers alternated round by
round so drift hits all alike; wrk on loopback, 32 connections, --seconds per measurement after a
warm-up. Prints one table and the ratios that count.
Usage: .venv/bin/python bench/perf.py [--seconds 10] [--rounds 2]
Needs: wrk (apt-get install wrk), node + npm (the GraphQL.js server's packages are installed here).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _harness import free_port, get_bytes, post_json, serve  # noqa: E402
from _wrk import HEADER, WrkResult, run  # noqa: E402

HEARTBEAT = {"query": "{ heartbeat }"}
TRACK = {"query": 'query { track(id: "1") { title release { title artist { name } } } }'}


def _wait(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _graphqljs(port: int, data: Path) -> subprocess.Popen:
    js = HERE / "graphqljs"
    if not (js / "node_modules" / "graphql-http").exists():
        subprocess.run([shutil.which("npm") or "npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=js,
                       check=True)
    return subprocess.Popen(["node", str(js / "server.mjs"), str(port), str(data)])


def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ym-perf-"))
    shared = {"DATA_DIR": str(tmp), "DATABASE_URL": f"sqlite://{tmp / 'perf.sqlite3'}"}
    procs: list[subprocess.Popen] = []
    with serve(workers=1, extra_env=shared) as one, contextlib.ExitStack() as stack:
        one.cli("tenant", "create", "perf")
        creds = one.cli("client", "create", "--tenant", "perf")
        token = post_json(f"{one.url}/api/oauth/token", {"grant_type": "client_credentials", **creds})["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        two = stack.enter_context(serve(workers=2, extra_env=shared))

        track = json.loads(get_bytes(f"{one.url}/api/tracks/1", auth))["track"]
        release = json.loads(get_bytes(f"{one.url}/api/releases/{track['release']['id']}", auth))["release"]
        artist = json.loads(get_bytes(f"{one.url}/api/artists/{release['artist']['id']}", auth))["artist"]
        for server in (one, two):  # warm caches (two workers: each their own in-process cache)
            for _ in range(8):
                get_bytes(f"{server.url}/api/tracks/1", auth)
                assert "errors" not in post_json(f"{server.url}/graphql", TRACK, auth)
        (tmp / "data.json").write_text(json.dumps({"tracks": {"1": track}, "releases": {str(release["id"]): release},
                                                   "artists": {str(artist["id"]): artist}}))
        (tmp / "heartbeat.json").write_bytes(json.dumps(post_json(f"{one.url}/graphql", HEARTBEAT)).encode())
        (tmp / "track.json").write_bytes(get_bytes(f"{one.url}/api/tracks/1", auth))

        js_port, bare_port = free_port(), free_port()
        procs.append(_graphqljs(js_port, tmp / "data.json"))
        procs.append(subprocess.Popen([sys.executable, str(HERE / "bare_starlette.py"), str(bare_port),
                                       f"/graphql={tmp / 'heartbeat.json'}", f"/api/tracks/{{id}}={tmp / 'track.json'}"]))
        _wait(js_port)
        _wait(bare_port)
        js, bare = f"http://127.0.0.1:{js_port}", f"http://127.0.0.1:{bare_port}"
        assert post_json(f"{js}/graphql", TRACK)["data"]["track"]["release"]["artist"]["name"] == artist["name"]

        gql = {"method": "POST", "headers": {"Content-Type": "application/json"}}
        gql_auth = {"method": "POST", "headers": {"Content-Type": "application/json", **auth}}
        cases = {
            "1 YourMusic {heartbeat}": dict(url=f"{one.url}/graphql", body=HEARTBEAT, **gql),
            "1 GraphQL.js {heartbeat}": dict(url=f"{js}/graphql", body=HEARTBEAT, **gql),
            "1 bare Starlette, same JSON": dict(url=f"{bare}/graphql", body=HEARTBEAT, **gql),
            "2 YourMusic track->release->artist": dict(url=f"{one.url}/graphql", body=TRACK, **gql_auth),
            "2 GraphQL.js track->release->artist": dict(url=f"{js}/graphql", body=TRACK, **gql),
            "3 YourMusic GET /api/tracks/1": dict(url=f"{one.url}/api/tracks/1", headers=auth),
            "3 bare Starlette, same JSON": dict(url=f"{bare}/api/tracks/1"),
            "4 YourMusic {heartbeat}, 2 workers": dict(url=f"{two.url}/graphql", body=HEARTBEAT, **gql),
            "4 YourMusic GET /api/tracks/1, 2 workers": dict(url=f"{two.url}/api/tracks/1", headers=auth),
        }
        for name, case in cases.items():
            run(name, seconds=2, **case)  # warm-up
        results: dict[str, list[WrkResult]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, case in cases.items():
                results[name].append(run(name, seconds=args.seconds, **case))
        for p in procs:
            p.terminate()
            p.wait()

    best = {name: max(rs, key=lambda r: r.rps) for name, rs in results.items()}
    print(HEADER)
    for r in best.values():
        print(r.row())
    ratio = lambda a, b: best[a].rps / best[b].rps  # noqa: E731
    print()
    print("| target | ratio | goal |")
    print("|---|---:|---:|")
    print(f"| (1) heartbeat vs GraphQL.js | {ratio('1 YourMusic {heartbeat}', '1 GraphQL.js {heartbeat}'):.2f}x | 1.0x |")
    print(f"| (1) heartbeat vs bare Starlette | {ratio('1 YourMusic {heartbeat}', '1 bare Starlette, same JSON'):.2f}x | - |")
    print(f"| (2) catalog GraphQL vs GraphQL.js | {ratio('2 YourMusic track->release->artist', '2 GraphQL.js track->release->artist'):.2f}x | 0.7x |")
    print(f"| (3) REST track vs bare Starlette | {ratio('3 YourMusic GET /api/tracks/1', '3 bare Starlette, same JSON'):.2f}x | 0.8x |")
    print(f"| (4) heartbeat 2 workers vs 1 | {ratio('4 YourMusic {heartbeat}, 2 workers', '1 YourMusic {heartbeat}'):.2f}x | 1.7x |")
    print(f"| (4) REST track 2 workers vs 1 | {ratio('4 YourMusic GET /api/tracks/1, 2 workers', '3 YourMusic GET /api/tracks/1'):.2f}x | 1.7x |")
    print(f"(best of {args.rounds} rounds x {args.seconds}s, wrk -t1 -c32; servers alternated each round)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    main(parser.parse_args())
