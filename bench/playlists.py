"""Issue 5: a 200-track playlist with each track's title, release title and artist name.

GraphQL (`playlist { tracks { track { title release { title } artist { name } } } }`) next to REST
(`GET /api/playlists/{id}?with=tracks`, whose catalog `track` objects carry the same data), cold
(first request after start: empty cache) and warm (median of N sequential requests).
Usage: .venv/bin/python bench/playlists.py [--n 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import http_json, serve  # noqa: E402

QUERY = ("query($id: ID!){ playlist(id: $id){ tracks(limit: 200){ order track { title release { title } "
         "artist { name } } } } }")


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[float, dict]:
    return http_json(method, url, body, {"Authorization": f"Bearer {token}"} if token else None)


def main(args: argparse.Namespace) -> None:
    with serve(workers=1) as server:
        base = server.url
        server.cli("tenant", "create", "bench")
        creds = server.cli("client", "create", "--tenant", "bench")
        _, tok = call("POST", f"{base}/api/oauth/token", {"grant_type": "client_credentials", **creds})
        client = tok["access_token"]
        _, user = call("POST", f"{base}/api/users", {"first_name": "B", "last_name": "U", "email": "b@example.com",
                                                     "date_of_birth": "1990-01-01"}, client)
        _, udt = call("POST", f"{base}/api/users/{user['id']}/udt", {"deviceId": str(uuid.uuid4())}, client)
        token = udt["token"]
        _, pl = call("POST", f"{base}/api/playlists", {"playlist_name": "Bench 200"}, token)
        pid = pl["id"]
        # Track ids 1400..1599: 200 tracks over many releases and artists (not yet cached by adds below).
        ids = [str(i) for i in range(1400, 1600)]
        call("PUT", f"{base}/api/playlists/{pid}/tracks", {"tracks": [{"track_id": t} for t in ids[:100]]}, token)
        for t in ids[100:]:
            call("POST", f"{base}/api/playlists/{pid}/tracks", {"track_id": t}, token)

        # Entity caches hold these tracks now (the adds checked them); releases and artists are cold.
        rows = []
        cold_gql, body = call("POST", f"{base}/graphql", {"query": QUERY, "variables": {"id": pid}}, token)
        assert "errors" not in body and len(body["data"]["playlist"]["tracks"]) == 200
        cold_rest, rest = call("GET", f"{base}/api/playlists/{pid}?with=tracks", None, token)
        assert len(rest["tracks"]) == 200
        warm_gql = statistics.median(call("POST", f"{base}/graphql", {"query": QUERY, "variables": {"id": pid}},
                                          token)[0] for _ in range(args.n))
        warm_rest = statistics.median(call("GET", f"{base}/api/playlists/{pid}?with=tracks", None, token)[0]
                                      for _ in range(args.n))
        rows.append(("GraphQL playlist(200) title/release/artist", cold_gql, warm_gql))
        rows.append(("REST GET /api/playlists/{id}?with=tracks", cold_rest, warm_rest))
    print(f"| {'case':<44} | {'first call ms':>13} | {'warm median ms':>14} |")
    print(f"|{'-' * 46}|{'-' * 14}:|{'-' * 15}:|")
    for name, cold, warm in rows:
        print(f"| {name:<44} | {cold:>13.1f} | {warm:>14.1f} |")
    print(f"(warm: median of {args.n} sequential requests; first GraphQL call resolves releases and artists cold)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    main(parser.parse_args())
