"""Issue 3: a warm catalog read through REST and GraphQL, against the bare-Starlette ceiling.

One process each, wrk on loopback (32 connections, 1 thread), the servers alternated so drift hits all.
Usage: .venv/bin/python bench/catalog.py [--seconds 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import free_port, get_bytes, post_json, serve  # noqa: E402
from _wrk import HEADER, run  # noqa: E402

GRAPHQL = ('query { track(id: "1") { id title version duration trackNumber discNumber explicitContent isrc type '
           'genre composer usageTypes url price { formattedPrice currencyCode value } '
           'release { id title } artist { id name } } }')


def main(args: argparse.Namespace) -> None:
    with serve(workers=1) as server:
        server.cli("tenant", "create", "bench")
        creds = server.cli("client", "create", "--tenant", "bench")
        token = post_json(f"{server.url}/api/oauth/token", {"grant_type": "client_credentials", **creds})["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        rest_body = get_bytes(f"{server.url}/api/tracks/1", auth)  # warms the cache
        assert "errors" not in post_json(f"{server.url}/graphql", {"query": GRAPHQL}, auth)

        tmp = Path(tempfile.mkdtemp())
        (tmp / "track.json").write_bytes(rest_body)
        port = free_port()
        bare = subprocess.Popen([sys.executable, str(Path(__file__).parent / "bare_starlette.py"), str(port),
                                 f"/api/tracks/{{track_id}}={tmp / 'track.json'}"])
        time.sleep(1.5)
        try:
            cases = {
                "REST GET /api/tracks/1 (warm)": dict(url=f"{server.url}/api/tracks/1", headers=auth),
                "GraphQL track(id) equivalent (warm)": dict(url=f"{server.url}/graphql", method="POST",
                                                            body={"query": GRAPHQL},
                                                            headers={**auth, "Content-Type": "application/json"}),
                "bare Starlette, same JSON from memory": dict(url=f"http://127.0.0.1:{port}/api/tracks/1"),
            }
            for name, case in cases.items():  # warm-up
                run(name, seconds=2, **case)
            results: dict[str, list] = {name: [] for name in cases}
            for _ in range(args.rounds):
                for name, case in cases.items():
                    results[name].append(run(name, seconds=args.seconds, **case))
        finally:
            bare.terminate()
            bare.wait()

    print(HEADER)
    best = {}
    for name, runs in results.items():
        r = max(runs, key=lambda x: x.rps)
        best[name] = r
        print(r.row())
    ceiling = best["bare Starlette, same JSON from memory"].rps
    print()
    for name, r in best.items():
        print(f"{name:<44} {r.rps / ceiling:5.2f}x of bare Starlette")
    print(f"(best of {args.rounds} rounds of {args.seconds}s each; medians: "
          + ", ".join(f"{statistics.median(x.rps for x in v):.0f}" for v in results.values()) + ")")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    main(parser.parse_args())
