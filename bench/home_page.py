"""Issue 17.8: the signed-in home page over REST (`GET /api/home`) and over GraphQL (`Query.home` asking
for the same fields), warm and cold, with the ratio GraphQL / REST taken in the same run.

A real `yourmusic serve` (uvicorn, one worker, SQLite, the embedded sandbox aggregator) per phase. Two pages:
- `demo`: the seeded demo page (hero, 6 releases, 6 tracks, 6 artists, 8 + 10 new releases, the user's
  playlists): 7 modules, about 45 items;
- `full`: every module kind at its item limit (50 releases, 50 tracks, 50 artists, 2 x 50 new releases,
  20 public playlists, the user's 50 playlists, a hero): about 320 items, each catalog item with the same
  fields as REST's aggregator JSON (a track with its release and artist, a release with its artist, label,
  licensor and price).

Warm: after two requests of each, `--n` rounds, each round one REST and one GraphQL request back to back
(order alternating) on keep-alive connections; the medians and the median of the per-round ratios.
Cold: a fresh server per transport, its first request (empty entity cache, first document).
Before timing, the GraphQL answer is checked against the REST one: the same modules, the same items.
Usage: .venv/bin/python bench/home_page.py [--n 60] [--no-cold] [--profile FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Server, http_json, serve  # noqa: E402

_ARTIST_REF = "id name appearsAs slug image"
_PRICE = "price { formattedPrice currencyCode value }"
_RELEASE = (f"id title version type barcode year explicitContent slug image releaseDate trackCount duration "
            f"usageTypes url label {{ id name }} licensor {{ id name }} {_PRICE} artist {{ {_ARTIST_REF} }}")
_TRACK = (f"id title version trackNumber discNumber duration explicitContent isrc type genre composer usageTypes "
          f"url {_PRICE} artist {{ {_ARTIST_REF} }} release {{ id title version type slug image releaseDate "
          f"explicitContent artist {{ {_ARTIST_REF} }} }}")
_ARTIST = "id name appearsAs slug image url sortName"
_PLAYLIST = "id name public trackCount createdAt updatedAt owner { id }"
# The fields REST's GET /api/home answers, asked of Query.home (`items` aliased per kind: the kinds' item
# types differ, and one selection may not ask `items` of two types under one name).
QUERY = f"""query Home {{ home {{
  page {{ id slug title updatedAt }}
  modules {{ __typename
    ... on HeroModule {{ id title position banners: items {{ title subtitle image linkKind linkId
          release {{ {_RELEASE} }} artist {{ {_ARTIST} }} playlist {{ {_PLAYLIST} }} }} }}
    ... on ReleaseCarouselModule {{ id title position releases: items {{ {_RELEASE} }} }}
    ... on TrackListModule {{ id title position tracks: items {{ {_TRACK} }} }}
    ... on ArtistGridModule {{ id title position artists: items {{ {_ARTIST} }} }}
    ... on NewReleasesModule {{ id title position releases: items {{ {_RELEASE} }} }}
    ... on PublicPlaylistsModule {{ id title position playlists: items {{ {_PLAYLIST} }} }}
    ... on YourPlaylistsModule {{ id title position playlists: items {{ {_PLAYLIST} }} }}
  }} }} }}"""


class Client:
    """One keep-alive HTTP/1.1 connection; `get` / `post` answer (milliseconds, body bytes)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[float, bytes]:
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        ms = (time.perf_counter() - t0) * 1000
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return ms, data


def rest(client: Client, token: str) -> tuple[float, bytes]:
    return client.request("GET", "/api/home", None, {"Authorization": f"Bearer {token}"})


GQL_BODY = json.dumps({"query": QUERY, "operationName": "Home"}).encode()


def graphql(client: Client, token: str) -> tuple[float, bytes]:
    return client.request("POST", "/graphql", GQL_BODY, {"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})


def _catalog_ids() -> tuple[list[str], list[str], list[str]]:
    from yourmusic.integrations.aggregator.sandbox.catalog import get_catalog  # noqa: PLC0415

    cat = get_catalog()
    pick = lambda ids, n: [str(i) for i in sorted(ids)[:: max(1, len(ids) // n)][:n]]  # noqa: E731 - spread out
    return pick(cat.releases, 50), pick(cat.tracks, 50), pick(cat.artists, 50)


def full_page(public_ids: list[str]) -> dict:
    releases, tracks, artists = _catalog_ids()
    return {"title": "Everything at its limit", "modules": [
        {"type": "hero", "title": "Hero", "subtitle": "A release", "link": {"kind": "release", "id": releases[3]}},
        {"type": "release_carousel", "title": "50 releases", "release_ids": releases},
        {"type": "track_list", "title": "50 tracks", "track_ids": tracks},
        {"type": "artist_grid", "title": "50 artists", "artist_ids": artists},
        {"type": "new_releases", "title": "Iron Maiden", "artist_id": "90", "limit": 50},
        {"type": "new_releases", "title": "Rock", "query": "rock", "limit": 50},
        {"type": "public_playlists", "title": "Featured", "playlist_ids": public_ids},
        {"type": "your_playlists", "title": "Yours", "limit": 50},
    ]}


def prepare(server: Server) -> dict[str, str]:
    """Users with a UDT for the demo tenant (seeded page) and a `full` tenant; returns page -> token."""
    base = server.url
    tokens = {}
    server.cli("tenant", "create", "full")
    for page, tenant, playlists in (("demo", "demo", 10), ("full", "full", 50)):
        creds = server.cli("client", "create", "--tenant", tenant)
        _, tok = http_json("POST", f"{base}/api/oauth/token", {"grant_type": "client_credentials", **creds})
        client = {"Authorization": f"Bearer {tok['access_token']}"}
        _, user = http_json("POST", f"{base}/api/users", {"first_name": "Home", "last_name": "Bench",
                                                          "email": f"home-{page}@example.com",
                                                          "date_of_birth": "1990-01-01"}, client)
        _, udt = http_json("POST", f"{base}/api/users/{user['id']}/udt", {"deviceId": str(uuid.uuid4())}, client)
        signed = {"Authorization": f"Bearer {udt['token']}"}
        made = [http_json("POST", f"{base}/api/playlists", {"playlist_name": f"Mine {i}", "public": i % 2 == 0},
                          signed)[1] for i in range(playlists)]
        if page == "full":
            http_json("PUT", f"{base}/api/home", full_page([p["id"] for p in made if p["public"]][:20]), client)
        tokens[page] = udt["token"]
    return tokens


def same_page(rest_body: bytes, gql_body: bytes) -> int:
    """Checks GraphQL's answer against REST's (modules, titles, item ids); answers the item count."""
    page, data = json.loads(rest_body), json.loads(gql_body)
    assert "errors" not in data, data["errors"][:3]
    home = data["data"]["home"]
    assert page["page"]["id"] == home["page"]["id"] and page["page"]["title"] == home["page"]["title"]
    assert [(m["id"], m["title"], m["position"]) for m in page["modules"]] == \
           [(m["id"], m["title"], m["position"]) for m in home["modules"]]
    items = 0
    for r, g in zip(page["modules"], home["modules"], strict=True):
        alias = next(k for k in ("banners", "releases", "tracks", "artists", "playlists") if k in g)
        if r["type"] == "hero":
            assert [i["link"]["id"] for i in r["items"]] == [i["linkId"] for i in g[alias]]
        else:
            assert [str(i["id"]) for i in r["items"]] == [i["id"] for i in g[alias]], r["type"]
        items += len(r["items"])
    return items


def warm(server: Server, tokens: dict[str, str], n: int) -> list[tuple[str, int, float, float, float]]:
    rows = []
    for page, token in tokens.items():
        a, b = Client(server.url), Client(server.url)
        for _ in range(2):
            _, rest_body = rest(a, token)
            _, gql_body = graphql(b, token)
        items = same_page(rest_body, gql_body)
        rest_ms, gql_ms, ratios = [], [], []
        for i in range(n):
            if i % 2:
                r, g = rest(a, token)[0], graphql(b, token)[0]
            else:
                g, r = graphql(b, token)[0], rest(a, token)[0]
            rest_ms.append(r)
            gql_ms.append(g)
            ratios.append(g / r)
        rows.append((page, items, statistics.median(rest_ms), statistics.median(gql_ms), statistics.median(ratios)))
    return rows


def cold(env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """page -> (REST first request ms, GraphQL first request ms), each on a server of its own."""
    out: dict[str, list[float]] = {}
    for transport in (rest, graphql):
        with serve(workers=1, extra_env={"SEED_DEMO": "true", **env}) as server:
            tokens = prepare(server)
            for page, token in tokens.items():
                out.setdefault(page, []).append(transport(Client(server.url), token)[0])
    return {page: (v[0], v[1]) for page, v in out.items()}


def main(args: argparse.Namespace) -> None:
    # The query asks every field of seven module kinds: its static cost estimate (5,446) is over the default
    # GRAPHQL_MAX_COST (5,000), though the answer is ~320 items.
    env = {"LOG_LEVEL": "warning", "GRAPHQL_MAX_COST": "20000"}
    if args.profile:
        env["YOURMUSIC_PROFILE_GRAPHQL"] = args.profile
    with serve(workers=1, extra_env={"SEED_DEMO": "true", **env}) as server:
        tokens = prepare(server)
        rows = warm(server, tokens, args.n)
    firsts = cold(env) if args.cold else {}
    load = os.getloadavg()
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores shared, load average {load[0]:.2f} "
          f"{load[1]:.2f}: absolute figures are noisy, the ratios are taken in the same run)")
    print(f"| {'page (signed in)':<22} | {'items':>5} | {'REST ms':>8} | {'GraphQL ms':>10} | {'GraphQL / REST':>14} |")
    print(f"|{'-' * 24}|{'-' * 6}:|{'-' * 9}:|{'-' * 11}:|{'-' * 15}:|")
    for page, items, r, g, ratio in rows:
        print(f"| {page + ', warm':<22} | {items:>5} | {r:>8.1f} | {g:>10.1f} | {ratio:>13.2f}x |")
    for page, (r, g) in firsts.items():
        print(f"| {page + ', cold':<22} | {'':>5} | {r:>8.1f} | {g:>10.1f} | {g / r:>13.2f}x |")
    print(f"(warm: medians of {args.n} rounds, one request of each per round, order alternating; the ratio is the "
          f"median of the per-round ratios. cold: the first request of a fresh server, one per transport)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--no-cold", dest="cold", action="store_false")
    parser.add_argument("--profile", default=None, help=argparse.SUPPRESS)
    main(parser.parse_args())
