"""Issue 17.8: the signed-in home page over REST (`GET /api/home`) and over GraphQL (`Query.home`), warm and
cold, with the ratios GraphQL / REST taken in the same run.

A real `yourmusic serve` (uvicorn, one worker, SQLite, the embedded sandbox aggregator). Two pages:
- `demo`: the seeded demo page (a hero, 6 releases, 6 tracks, 6 artists, 8 + 10 new releases, the user's
  10 playlists): 7 modules, 44 items;
- `full`: every module kind near its item limit (50 releases, 50 tracks, 50 artists, an artist's newest and
  a search's releases, 20 public playlists, the user's 50 playlists, a hero): 8 modules, about 250 items.
Two GraphQL documents: `QUERY` asks every field REST answers (a track with its release and their artists, a
release with its artist, label, licensor and price: 20 to 40 fields an item), `CARDS` what a home screen
shows (3 to 7 fields an item). GRAPHQL_MAX_COST is raised for QUERY (its static estimate is 5,446).

Warm: after two requests of each, `--n` rounds of one request of each (the order rotating) on keep-alive
connections: the median wall time and the median CPU time the server process spent on it (all its threads,
/proc/PID/task/*/schedstat: far less sensitive than wall time to what else the machine runs), each beside
REST's. `--trees A,B` serves several code trees side by side (each run in its directory with it as
PYTHONPATH, e.g. a checkout of main and this one), their requests interleaved in the same rounds: a
before/after under the same load.
Cold: the first request of a fresh server on the same database, one server per transport (empty entity
cache, first document). Both GraphQL answers are checked against REST's first: the same modules and items.
Usage: .venv/bin/python bench/home_page.py [--n 60] [--no-cold] [--trees /tmp/main,.]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Server, cpu_seconds, http_json, serve

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

# What a home screen shows of each item (an image, a title, a name or two): the selection a front-end sends.
CARDS = """query HomeCards { home {
  page { id title }
  modules { __typename
    ... on HeroModule { id title position banners: items { title subtitle image linkKind linkId } }
    ... on ReleaseCarouselModule { id title position releases: items { id title image artist { name } } }
    ... on TrackListModule { id title position tracks: items { id title duration artist { name } release { title image } } }
    ... on ArtistGridModule { id title position artists: items { id name image } }
    ... on NewReleasesModule { id title position releases: items { id title image releaseDate artist { name } } }
    ... on PublicPlaylistsModule { id title position playlists: items { id name trackCount } }
    ... on YourPlaylistsModule { id title position playlists: items { id name trackCount } }
  } } }"""


class Client:
    """One keep-alive HTTP/1.1 connection to a server whose process is `pid`; `request` answers (wall ms,
    the server's CPU ms for it, body). The server is one process (uvicorn, one worker): its CPU time while
    it serves one request at a time is that request's, whatever else the machine runs."""

    def __init__(self, base: str, pid: int) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.pid = pid

    def request(self, method: str, path: str, body: bytes | None,
                headers: dict[str, str]) -> tuple[float, float, bytes]:
        cpu0, t0 = cpu_seconds(self.pid), time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        wall, cpu = (time.perf_counter() - t0) * 1000, (cpu_seconds(self.pid) - cpu0) * 1000
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return wall, cpu, data


def rest(client: Client, token: str) -> tuple[float, float, bytes]:
    return client.request("GET", "/api/home", None, {"Authorization": f"Bearer {token}"})


GQL_BODY = json.dumps({"query": QUERY, "operationName": "Home"}).encode()
CARDS_BODY = json.dumps({"query": CARDS, "operationName": "HomeCards"}).encode()


def graphql(client: Client, token: str, body: bytes = GQL_BODY) -> tuple[float, float, bytes]:
    return client.request("POST", "/graphql", body, {"Authorization": f"Bearer {token}",
                                                     "Content-Type": "application/json"})


def cards(client: Client, token: str) -> tuple[float, float, bytes]:
    return graphql(client, token, CARDS_BODY)


TRANSPORTS = {"REST": rest, "GraphQL same fields": graphql, "GraphQL cards": cards}


def _catalog_ids() -> tuple[list[str], list[str], list[str]]:
    from yourmusic.integrations.aggregator.sandbox.catalog import get_catalog

    cat = get_catalog()
    pick = lambda ids, n: [str(i) for i in sorted(ids)[:: max(1, len(ids) // n)][:n]]  # spread out
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


def warm(servers: list[tuple[str, Server, dict[str, str]]], n: int) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(tree, page, transport) -> (median wall ms, median server CPU ms). Every round sends one request of each
    transport to each server, the order rotating, so drift and load hit all alike."""
    out = {}
    for page in servers[0][2]:
        calls = []
        for tree, server, tokens in servers:
            client, token = Client(server.url, server.proc.pid), tokens[page]
            bodies = {name: [f(client, token)[2] for _ in range(2)][-1] for name, f in TRANSPORTS.items()}
            items = same_page(bodies["REST"], bodies["GraphQL same fields"])
            assert same_page(bodies["REST"], bodies["GraphQL cards"]) == items
            calls += [(tree, name, f, client, token) for name, f in TRANSPORTS.items()]
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for i in range(n):
            for k in range(len(calls)):
                tree, name, f, client, token = calls[(i + k) % len(calls)]
                wall, cpu, _ = f(client, token)
                samples.setdefault((tree, name), []).append((wall, cpu))
        for (tree, name), got in samples.items():
            out[(tree, f"{page} ({items} items)", name)] = (statistics.median(w for w, _ in got),
                                                            statistics.median(c for _, c in got))
    return out


def cold(env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """page -> (REST first request ms, GraphQL first request ms). The users and pages are made on one server;
    then each transport's first requests go to a fresh server on the same database (empty entity cache)."""
    tmp = tempfile.mkdtemp(prefix="ym-home-")
    env = {**env, "SEED_DEMO": "true", "DATA_DIR": tmp, "DATABASE_URL": f"sqlite://{tmp}/home.sqlite3"}
    with serve(workers=1, extra_env=env) as server:
        tokens = prepare(server)
    out: dict[str, list[float]] = {}
    for transport in (rest, graphql):
        with serve(workers=1, extra_env=env) as server:
            wait_healthy(server.url)
            for page, token in tokens.items():
                out.setdefault(page, []).append(transport(Client(server.url, server.proc.pid), token)[0])
    return {page: (v[0], v[1]) for page, v in out.items()}


def wait_healthy(base: str) -> None:
    for _ in range(300):
        try:
            http_json("GET", f"{base}/healthz")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("no /healthz")


@contextlib.contextmanager
def servers_for(trees: list[str], env: dict[str, str]) -> Iterator[list[tuple[str, Server, dict[str, str]]]]:
    """One prepared server per code tree (run in it, with it as PYTHONPATH; "" for this environment's)."""
    with contextlib.ExitStack() as stack:
        out = []
        for tree in trees:
            tree_env = {**env, "PYTHONPATH": tree} if tree else env
            server = stack.enter_context(serve(workers=1, extra_env={"SEED_DEMO": "true", **tree_env},
                                               cwd=tree or None))
            out.append((tree or "this tree", server, prepare(server)))
        yield out


def main(args: argparse.Namespace) -> None:
    # QUERY asks every field of seven module kinds: its static cost estimate (5,446) is over the default
    # GRAPHQL_MAX_COST (5,000), though the answer is ~250 items.
    env = {"LOG_LEVEL": "warning", "GRAPHQL_MAX_COST": "20000"}
    trees = args.trees.split(",") if args.trees else [""]
    with servers_for(trees, env) as servers:
        results = warm(servers, args.n)
    firsts = cold(env) if args.cold else {}
    load = os.getloadavg()
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores shared, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}: wall times are noisy under load; server CPU time per request much less so; "
          f"the ratios are taken in the same run)")
    print(f"| {'code tree':<24} | {'page, signed in, warm':<22} | {'request':<20} | {'wall ms':>7} | "
          f"{'/ REST':>6} | {'CPU ms':>6} | {'/ REST':>6} |")
    print(f"|{'-' * 26}|{'-' * 24}|{'-' * 22}|{'-' * 8}:|{'-' * 7}:|{'-' * 7}:|{'-' * 7}:|")
    for (tree, page, name), (wall, cpu) in results.items():
        rest_wall, rest_cpu = results[(tree, page, "REST")]
        print(f"| {tree[-24:]:<24} | {page:<22} | {name:<20} | {wall:>7.2f} | {wall / rest_wall:>5.2f}x | "
              f"{cpu:>6.2f} | {cpu / rest_cpu:>5.2f}x |")
    if firsts:
        print(f"\n| {'page, signed in, cold':<22} | {'REST ms':>7} | {'GraphQL same fields ms':>22} | {'/ REST':>6} |")
        print(f"|{'-' * 24}|{'-' * 8}:|{'-' * 23}:|{'-' * 7}:|")
        for page, (r, g) in firsts.items():
            print(f"| {page:<22} | {r:>7.1f} | {g:>22.1f} | {g / r:>5.2f}x |")
    print(f"(warm: medians of {args.n} rounds, one request of each kind per round, the order rotating. cold: the "
          f"first request of a fresh server on the same database, one server per transport, entity cache empty. "
          f"same fields: every field REST answers (QUERY); cards: what a home screen shows (CARDS))")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--no-cold", dest="cold", action="store_false")
    parser.add_argument("--trees", default="", help="comma-separated code trees (PYTHONPATH each) served side by "
                                                    "side, e.g. a checkout of main and this one")
    main(parser.parse_args())
