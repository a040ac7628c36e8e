"""Aggregator sandbox: catalogue reach, 7digital 1.2 shapes, errors, search, controls.

The sandbox is the product's default upstream and benchmark target, so these
tests pin its contract (shapes, error codes, determinism) over real ASGI HTTP.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from yourmusic.integrations.aggregator.sandbox import SandboxControl, create_app, get_catalog
from yourmusic.integrations.aggregator.sandbox.catalog import CATALOG_PATH, SearchIndex, load_catalog, normalize

KEY = {"oauth_consumer_key": "test-key"}
BASE = "http://sandbox"
ROOT = Path(__file__).resolve().parents[2]
SHARED_SOURCE = Path("/work/shared/data/chinook-catalog.json")

ARTIST_KEYS = ["id", "name", "appearsAs", "slug", "image", "url", "sortName"]
ARTIST_SUMMARY_KEYS = ["id", "name", "appearsAs", "slug", "image"]
RELEASE_KEYS = [
    "id", "title", "version", "type", "barcode", "year", "explicitContent", "artist", "slug", "image",
    "label", "licensor", "releaseDate", "trackCount", "duration", "usageTypes", "price", "url",
]  # fmt: skip
TRACK_KEYS = [
    "id", "title", "version", "artist", "trackNumber", "discNumber", "duration", "explicitContent", "isrc",
    "type", "genre", "composer", "release", "usageTypes", "price", "download", "subscriptionStreaming", "url",
]  # fmt: skip
TRACK_RELEASE_KEYS = ["id", "title", "version", "type", "artist", "slug", "image", "releaseDate", "explicitContent"]


# Named sandbox_app (not app) so the project-wide session "app" fixture is not shadowed.
@pytest.fixture
def sandbox_app():
    return create_app()


@pytest.fixture
def control(sandbox_app) -> SandboxControl:
    return sandbox_app.state.sandbox


@pytest.fixture
async def client(sandbox_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox_app), base_url=BASE) as c:
        yield c


async def get(client: httpx.AsyncClient, path: str, **params) -> httpx.Response:
    return await client.get(f"/1.2/{path}", params={**KEY, **params})


async def get_ok(client: httpx.AsyncClient, path: str, **params) -> dict:
    response = await get(client, path, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body)[:2] == ["status", "version"]
    assert body["status"] == "ok" and body["version"] == "1.2"
    return body


def assert_error(response: httpx.Response, http_status: int, code: int) -> dict:
    assert response.status_code == http_status, response.text
    body = response.json()
    assert body["status"] == "error" and body["version"] == "1.2"
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["errorMessage"], str) and body["error"]["errorMessage"]
    return body


def chunks(ids: list[int], size: int = 50) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def csv(ids) -> str:
    return ",".join(str(i) for i in ids)


# --------------------------------------------------------------------------- reach and shapes


async def test_status_needs_no_key_and_reports_utc_time(client):
    response = await client.get("/1.2/status")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "version", "serverTime"]
    assert body["status"] == "ok" and body["version"] == "1.2"
    assert body["serverTime"].endswith("Z") and body["serverTime"][:4].isdigit()


async def test_whole_catalogue_is_reachable(client):
    artists = 0
    for letter in "abcdefghijklmnopqrstuvwxyz#":
        page1 = await get_ok(client, "artist/browse", letter=letter, pageSize=50)
        total = page1["artists"]["totalItems"]
        seen = len(page1["artists"]["artists"])
        page = 2
        while seen < total:
            more = await get_ok(client, "artist/browse", letter=letter, pageSize=50, page=page)
            seen += len(more["artists"]["artists"])
            page += 1
        artists += total
    assert artists == 275

    release_ids = list(range(1, 348))
    found_releases = []
    for ids in chunks(release_ids):
        body = await get_ok(client, "release/details/batch", releaseids=csv(ids), showErrors="true")
        assert body["items"]["errors"] == []
        found_releases += [r["id"] for r in body["items"]["releases"]]
    assert found_releases == release_ids

    track_ids = list(range(1, 3504))
    found_tracks = []
    for ids in chunks(track_ids):
        body = await get_ok(client, "track/details/batch", trackids=csv(ids), showErrors="true")
        found_tracks += [t["id"] for t in body["items"]["tracks"]]
    assert found_tracks == track_ids

    body = await get_ok(client, "track/details/batch", trackids="3504", showErrors="true")
    assert body["items"]["tracks"] == [] and body["items"]["errors"][0]["itemId"] == 3504


async def test_release_tracks_cover_every_track_once(client):
    seen: list[int] = []
    paged = 0
    for release_id in range(1, 348):
        body = await get_ok(client, "release/tracks", releaseid=release_id)
        assert list(body) == ["status", "version", "page", "pageSize", "totalItems", "tracks"]
        assert body["page"] == 1 and body["pageSize"] == 50
        tracks = body["tracks"]
        if body["totalItems"] > 50:  # Chinook's largest album has 57 tracks
            paged += 1
            tracks += (await get_ok(client, "release/tracks", releaseid=release_id, page=2))["tracks"]
        assert len(tracks) == body["totalItems"]
        assert [t["trackNumber"] for t in tracks] == list(range(1, len(tracks) + 1))
        assert all(t["release"]["id"] == release_id for t in tracks)
        seen += [t["id"] for t in tracks]
    assert paged == 1
    assert sorted(seen) == list(range(1, 3504))


async def test_artist_details_shape(client):
    body = await get_ok(client, "artist/details", artistid=1)
    assert list(body) == ["status", "version", "artist"]
    artist = body["artist"]
    assert list(artist) == ARTIST_KEYS
    assert artist == {
        "id": 1,
        "name": "AC/DC",
        "appearsAs": "AC/DC",
        "slug": "ac-dc",
        "image": f"{BASE}/images/artist/1_350.svg",
        "url": f"{BASE}/artist/ac-dc",
        "sortName": "AC/DC",
    }
    doors = (await get_ok(client, "artist/details", artistid=140))["artist"]
    assert doors["name"] == "The Doors" and doors["sortName"] == "Doors, The"


async def test_release_details_shape(client):
    release = (await get_ok(client, "release/details", releaseid=1))["release"]
    assert list(release) == RELEASE_KEYS
    assert release["id"] == 1 and release["title"] == "For Those About To Rock We Salute You"
    assert release["version"] == "" and release["type"] == "album"
    assert list(release["artist"]) == ARTIST_SUMMARY_KEYS and release["artist"]["id"] == 1
    assert release["slug"] == "for-those-about-to-rock-we-salute-you"
    assert release["image"] == f"{BASE}/images/release/1_350.svg"
    assert release["trackCount"] == 10
    assert len(release["barcode"]) == 13 and release["barcode"].isdigit()
    assert 1970 <= release["year"] <= 2015 and release["releaseDate"].startswith(str(release["year"]))
    assert set(release["label"]) == {"id", "name"} and set(release["licensor"]) == {"id", "name"}
    assert release["usageTypes"][0] == "download"
    assert release["price"]["currencyCode"] == "USD" and release["price"]["value"] <= 9.99
    assert release["price"]["formattedPrice"] == f"${release['price']['value']:.2f}"
    tracks = (await get_ok(client, "release/tracks", releaseid=1))["tracks"]
    assert release["duration"] == sum(t["duration"] for t in tracks)
    assert release["explicitContent"] == any(t["explicitContent"] for t in tracks)
    assert ("stream" in release["usageTypes"]) == any("stream" in t["usageTypes"] for t in tracks)
    assert release["url"] == f"{BASE}/artist/ac-dc/release/for-those-about-to-rock-we-salute-you"


async def test_track_details_shape(client):
    track = (await get_ok(client, "track/details", trackid=1))["track"]
    assert list(track) == TRACK_KEYS
    assert track["title"] == "For Those About To Rock (We Salute You)"
    assert track["version"] == "" and track["type"] == "audio"
    assert track["trackNumber"] == 1 and track["discNumber"] == 1
    assert track["duration"] == 344  # round(343719 / 1000)
    assert track["genre"] == "Rock" and track["composer"] == "Angus Young, Malcolm Young, Brian Johnson"
    assert track["isrc"].startswith("GBSDX") and len(track["isrc"]) == 12 and track["isrc"].endswith("00001")
    assert list(track["artist"]) == ARTIST_SUMMARY_KEYS and track["artist"]["name"] == "AC/DC"
    assert list(track["release"]) == TRACK_RELEASE_KEYS and track["release"]["id"] == 1
    assert track["price"] == {"formattedPrice": "$0.99", "currencyCode": "USD", "value": 0.99}
    assert track["download"] == {
        "releaseDate": track["release"]["releaseDate"],
        "previewUrl": f"{BASE}/previews/clip/1",
    }
    # Track 1 is one of the ~10% not streamable: no subscriptionStreaming block.
    assert track["usageTypes"] == ["download"] and track["subscriptionStreaming"] is None
    streamable = (await get_ok(client, "track/details", trackid=2))["track"]
    assert streamable["usageTypes"] == ["download", "stream"]
    assert streamable["subscriptionStreaming"] == {"releaseDate": streamable["release"]["releaseDate"]}
    second = (await get_ok(client, "track/details", trackid=6))["track"]
    assert second["release"]["id"] == 1 and second["trackNumber"] == 2


async def test_release_types_video_single_album(client):
    video = (await get_ok(client, "release/details", releaseid=226))["release"]
    assert video["type"] == "video"
    vtrack = (await get_ok(client, "release/tracks", releaseid=226))["tracks"][0]
    assert vtrack["type"] == "video"
    single = (await get_ok(client, "release/details", releaseid=2))["release"]
    assert single["type"] == "single" and single["trackCount"] == 1
    cat = get_catalog()
    assert sum(r.type == "video" for r in cat.releases.values()) == 12
    for release in cat.releases.values():
        if release.type == "single":
            assert len(release.track_ids) <= 3
        elif release.type == "album":
            assert len(release.track_ids) > 3


def test_derived_flags_have_expected_proportions():
    cat = get_catalog()
    tracks = list(cat.tracks.values())
    explicit = sum(t.explicit for t in tracks) / len(tracks)
    streamable = sum("stream" in t.usage_types for t in tracks) / len(tracks)
    assert 0.05 < explicit < 0.11
    assert 0.86 < streamable < 0.94
    assert all("download" in t.usage_types for t in tracks)
    for release in cat.releases.values():
        rtracks = [cat.tracks[i] for i in release.track_ids]
        assert release.explicit == any(t.explicit for t in rtracks)
        assert ("stream" in release.usage_types) == any("stream" in t.usage_types for t in rtracks)


@pytest.mark.slow  # a subprocess
def test_catalogue_is_deterministic_across_processes():
    """Derived fields must not depend on PYTHONHASHSEED (hash() randomisation)."""
    script = (
        "import hashlib, orjson\n"
        "from yourmusic.integrations.aggregator.sandbox.catalog import load_catalog\n"
        "c = load_catalog()\n"
        "h = hashlib.sha256()\n"
        "for t in c.tracks.values(): h.update(orjson.dumps(t.full))\n"
        "for r in c.releases.values(): h.update(orjson.dumps(r.full))\n"
        "print(h.hexdigest(), c.search_tracks('love')[:20])\n"
    )
    outputs = set()
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_bundled_catalog_is_compact_and_keeps_provenance():
    with gzip.open(CATALOG_PATH, "rb") as fh:
        data = json.loads(fh.read())
    assert "Chinook" in data["source"] and "Freely Distributable" in data["source"]
    assert (len(data["artists"]), len(data["albums"]), len(data["tracks"])) == (275, 347, 3503)
    assert CATALOG_PATH.stat().st_size < 200_000
    assert (CATALOG_PATH.parent / "PROVENANCE.md").is_file()
    assert get_catalog().source == data["source"]


@pytest.mark.skipif(not SHARED_SOURCE.exists(), reason="shared Chinook export not available")
@pytest.mark.slow  # a subprocess
def test_build_script_is_reproducible(tmp_path):
    output = tmp_path / "catalog.json.gz"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_catalog.py"), str(SHARED_SOURCE), str(output)],
        check=True,
        capture_output=True,
    )
    assert hashlib.sha256(output.read_bytes()).digest() == hashlib.sha256(CATALOG_PATH.read_bytes()).digest()


# --------------------------------------------------------------------------- errors


async def test_not_found_is_2001_with_404(client):
    assert_error(await get(client, "artist/details", artistid=99999), 404, 2001)
    assert_error(await get(client, "release/details", releaseid=348), 404, 2001)
    assert_error(await get(client, "track/details", trackid=0), 404, 2001)
    assert_error(await get(client, "release/tracks", releaseid=348), 404, 2001)
    assert_error(await get(client, "artist/releases", artistid=276), 404, 2001)
    # A non-integer id is "not found" too, not a validation error.
    assert_error(await get(client, "track/details", trackid="abc"), 404, 2001)
    assert_error(await get(client, "artist/details", artistid="1.5"), 404, 2001)


async def test_missing_parameters_are_1001(client):
    for path in ("artist/details", "release/details", "track/details", "release/tracks", "artist/releases"):
        assert_error(await get(client, path), 400, 1001)
    for path in ("artist/search", "release/search", "track/search"):
        assert_error(await get(client, path), 400, 1001)
    assert_error(await get(client, "artist/browse"), 400, 1001)
    assert_error(await get(client, "artist/details/batch"), 400, 1001)
    assert_error(await get(client, "track/details/batch", trackids=""), 400, 1001)
    assert_error(await get(client, "release/details", releaseid=""), 400, 1001)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("artist/search", {"q": ""}),
        ("track/search", {"q": "   "}),
        ("artist/search", {"q": "a", "pageSize": 9}),
        ("artist/search", {"q": "a", "pageSize": 51}),
        ("artist/search", {"q": "a", "pageSize": "ten"}),
        ("artist/search", {"q": "a", "page": 0}),
        ("artist/search", {"q": "a", "page": -1}),
        ("artist/details", {"artistid": 1, "imageSize": 123}),
        ("artist/details", {"artistid": 1, "imageSize": "big"}),
        ("track/search", {"q": "a", "usageTypes": "rent"}),
        ("track/search", {"q": "a", "excludeExplicitContent": "maybe"}),
        ("track/search", {"q": "a", "artistId": "x"}),
        ("artist/releases", {"artistid": 1, "type": "ep"}),
        ("artist/browse", {"letter": "ab"}),
        ("artist/browse", {"letter": "!"}),
        ("release/tracks", {"releaseid": 1, "pageSize": 60}),
        ("release/details/batch", {"releaseids": "1", "showErrors": "yes"}),
    ],
)
async def test_invalid_values_are_1002(client, path, params):
    assert_error(await get(client, path, **params), 400, 1002)


async def test_consumer_key_is_required(client):
    assert_error(await client.get("/1.2/artist/details", params={"artistid": 1}), 401, 2002)
    assert_error(await client.get("/1.2/artist/details?artistid=1&oauth_consumer_key="), 401, 2002)
    # The key check comes before parameter validation.
    assert_error(await client.get("/1.2/track/search"), 401, 2002)
    assert (await get(client, "artist/details", artistid=1)).status_code == 200


async def test_specific_consumer_key():
    app = create_app(consumer_key="s3cret")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        wrong = await c.get("/1.2/artist/details", params={"artistid": 1, "oauth_consumer_key": "other"})
        body = assert_error(wrong, 401, 2002)
        assert body["error"]["errorMessage"] == "Invalid consumer key"
        right = await c.get("/1.2/artist/details", params={"artistid": 1, "oauth_consumer_key": "s3cret"})
        assert right.status_code == 200 and right.json()["artist"]["id"] == 1


async def test_unknown_route_is_json_404(client):
    assert_error(await client.get("/1.2/playlist/details", params=KEY), 404, 2001)


# --------------------------------------------------------------------------- batches


async def test_artist_batch_keeps_request_order_and_reports_errors(client):
    body = await get_ok(client, "artist/details/batch", artistids="3, 1,9999,abc,2,1")
    assert list(body) == ["status", "version", "items"]
    assert [a["id"] for a in body["items"]["artists"]] == [3, 1, 2, 1]
    assert list(body["items"]["artists"][0]) == ARTIST_KEYS
    errors = body["items"]["errors"]
    assert [e["itemId"] for e in errors] == [9999, "abc"]
    assert all(e["code"] == 2001 and e["errorMessage"] for e in errors)


async def test_batch_limit_is_50(client):
    fifty = csv(range(1, 51))
    body = await get_ok(client, "artist/details/batch", artistids=fifty)
    assert len(body["items"]["artists"]) == 50
    for path, name in (
        ("artist/details/batch", "artistids"),
        ("release/details/batch", "releaseids"),
        ("track/details/batch", "trackids"),
    ):
        assert_error(await get(client, path, **{name: csv(range(1, 52))}), 400, 1002)


async def test_release_and_track_batch_errors_only_with_show_errors(client):
    quiet = await get_ok(client, "release/details/batch", releaseids="5,400,1")
    assert [r["id"] for r in quiet["items"]["releases"]] == [5, 1]
    assert quiet["items"]["errors"] == []
    loud = await get_ok(client, "release/details/batch", releaseids="5,400,1,x", showErrors="true")
    assert [r["id"] for r in loud["items"]["releases"]] == [5, 1]
    assert [(e["itemId"], e["code"]) for e in loud["items"]["errors"]] == [(400, 2001), ("x", 2001)]
    assert list(loud["items"]["releases"][0]) == RELEASE_KEYS

    tracks = await get_ok(client, "track/details/batch", trackids="10,9,99999", showErrors="true")
    assert [t["id"] for t in tracks["items"]["tracks"]] == [10, 9]
    assert list(tracks["items"]["tracks"][0]) == TRACK_KEYS
    assert tracks["items"]["errors"] == [{"itemId": 99999, "code": 2001, "errorMessage": "Track not found"}]


async def test_batch_usage_types_and_type_filters_become_errors(client):
    # Track 1 is download-only, track 2 streams.
    body = await get_ok(client, "track/details/batch", trackids="1,2", usageTypes="stream", showErrors="true")
    assert [t["id"] for t in body["items"]["tracks"]] == [2]
    assert [e["itemId"] for e in body["items"]["errors"]] == [1]
    # Release 226 is a video, release 1 an album.
    body = await get_ok(client, "release/details/batch", releaseids="226,1", type="video", showErrors="true")
    assert [r["id"] for r in body["items"]["releases"]] == [226]
    assert [e["itemId"] for e in body["items"]["errors"]] == [1]
    # Release 260 has no streamable track.
    body = await get_ok(client, "release/details/batch", releaseids="260,1", usageTypes="stream", showErrors="true")
    assert [r["id"] for r in body["items"]["releases"]] == [1]


# --------------------------------------------------------------------------- search


async def test_artist_search_acdc_variants_rank_first(client):
    for q in ("AC/DC", "ac/dc", "acdc", "ac dc", "AC-DC"):
        body = await get_ok(client, "artist/search", q=q)
        assert list(body) == ["status", "version", "estimatedTotalItems", "page", "expectedPageSize", "results"]
        assert body["results"][0]["name"] == "AC/DC", q
        assert list(body["results"][0]) == ARTIST_KEYS


async def test_search_is_accent_and_case_insensitive(client):
    body = await get_ok(client, "artist/search", q="antonio carlos jobim")
    assert body["results"][0]["name"] == "Antônio Carlos Jobim"
    body = await get_ok(client, "artist/search", q="MOTORHEAD")
    assert body["results"][0]["name"] == "Motörhead"
    assert [a["name"] for a in body["results"]][:2] == ["Motörhead", "Motörhead & Girlschool"]
    body = await get_ok(client, "artist/search", q="Nação")
    names = {a["name"] for a in body["results"]}
    assert {"Nação Zumbi", "Chico Science & Nação Zumbi"} <= names


async def test_search_ranking_tiers(client):
    # Exact > prefix > all words > substring.
    body = await get_ok(client, "artist/search", q="iron maiden")
    assert body["results"][0]["name"] == "Iron Maiden"
    body = await get_ok(client, "artist/search", q="led")
    assert body["results"][0]["name"] == "Led Zeppelin"
    index = SearchIndex(
        [(1, ["Xylo Bar"], 0), (2, ["Bar"], 0), (3, ["Barcelona"], 0), (4, ["Foo Bar"], 0), (5, ["Crowbar"], 9)]
    )
    assert index.search("bar") == (2, 3, 1, 4, 5)  # 1 and 4 tie on tier 4: by id
    assert index.search("nothing") == ()
    # Ties break by popularity, then id.
    tied = SearchIndex([(7, ["Red One"], 1), (3, ["Red Two"], 1), (9, ["Red Three"], 5)])
    assert tied.search("red") == (9, 3, 7)


async def test_release_search_over_title_and_artist(client):
    body = await get_ok(client, "release/search", q="fear of the dark")
    assert body["results"][0]["title"] == "Fear Of The Dark"
    assert list(body["results"][0]) == RELEASE_KEYS
    by_artist = await get_ok(client, "release/search", q="ac/dc", pageSize=50)
    assert {r["artist"]["id"] for r in by_artist["results"]} == {1}
    assert by_artist["estimatedTotalItems"] == 2


async def test_track_search_over_title_artist_and_release(client):
    body = await get_ok(client, "track/search", q="balls to the wall")
    assert body["results"][0]["title"] == "Balls to the Wall"
    assert list(body["results"][0]) == TRACK_KEYS
    by_release = await get_ok(client, "track/search", q="let there be rock", pageSize=50)
    assert by_release["estimatedTotalItems"] >= 8
    assert {t["release"]["title"] for t in by_release["results"][:8]} == {"Let There Be Rock"}
    by_words = await get_ok(client, "track/search", q="maiden fear dark", pageSize=50)
    assert by_words["estimatedTotalItems"] > 0
    assert all(t["artist"]["name"] == "Iron Maiden" for t in by_words["results"])


async def test_search_pagination(client):
    first = await get_ok(client, "track/search", q="love", pageSize=10)
    total = first["estimatedTotalItems"]
    assert total > 30 and first["page"] == 1 and first["expectedPageSize"] == 10
    collected = []
    for page in range(1, (total + 49) // 50 + 1):
        body = await get_ok(client, "track/search", q="love", page=page, pageSize=50)
        assert body["estimatedTotalItems"] == total
        collected += [t["id"] for t in body["results"]]
    assert len(collected) == total == len(set(collected))
    assert collected[:10] == [t["id"] for t in first["results"]]
    second = await get_ok(client, "track/search", q="love", page=2)
    assert [t["id"] for t in second["results"]] == collected[10:20]
    beyond = await get_ok(client, "track/search", q="love", page=1000)
    assert beyond["results"] == [] and beyond["estimatedTotalItems"] == total
    default = await get_ok(client, "artist/search", q="a")
    assert default["expectedPageSize"] == 10 and len(default["results"]) == 10


async def test_search_with_only_punctuation_finds_nothing(client):
    body = await get_ok(client, "artist/search", q="///")
    assert body["estimatedTotalItems"] == 0 and body["results"] == []


def test_search_is_fast():
    index = get_catalog().track_index
    for q in ("love", "the", "zzzz", "antonio carlos jobim"):
        start = time.perf_counter()
        index._search(q)  # uncached path
        assert time.perf_counter() - start < 0.05, q


def test_normalize_strips_accents_and_case():
    assert normalize("Mötley Crüe") == "motley crue"
    assert normalize("ANTÔNIO") == "antonio"


# --------------------------------------------------------------------------- filters


async def test_exclude_explicit_content(client):
    cat = get_catalog()
    all_tracks = await get_ok(client, "track/search", q="the", pageSize=50)
    clean = await get_ok(client, "track/search", q="the", pageSize=50, excludeExplicitContent="true")
    explicit_total = sum(cat.tracks[i].explicit for i in cat.search_tracks("the"))
    assert explicit_total > 0
    assert clean["estimatedTotalItems"] == all_tracks["estimatedTotalItems"] - explicit_total
    assert not any(t["explicitContent"] for t in clean["results"])
    releases = await get_ok(client, "release/search", q="the", pageSize=50, excludeExplicitContent="true")
    assert releases["results"] and not any(r["explicitContent"] for r in releases["results"])
    same = await get_ok(client, "track/search", q="the", excludeExplicitContent="false")
    assert same["estimatedTotalItems"] == all_tracks["estimatedTotalItems"]


async def test_usage_types_filters(client):
    cat = get_catalog()
    streamable = await get_ok(client, "track/search", q="the", usageTypes="stream", pageSize=50)
    expected = sum("stream" in cat.tracks[i].usage_types for i in cat.search_tracks("the"))
    assert streamable["estimatedTotalItems"] == expected
    assert all("stream" in t["usageTypes"] for t in streamable["results"])
    downloadable = await get_ok(client, "track/search", q="the", usageTypes="download")
    assert downloadable["estimatedTotalItems"] == len(cat.search_tracks("the"))
    # Details answer 2001 when the item lacks the usage type.
    assert_error(await get(client, "track/details", trackid=1, usageTypes="stream"), 404, 2001)
    assert (await get(client, "track/details", trackid=1, usageTypes="download")).status_code == 200
    assert_error(await get(client, "release/details", releaseid=260, usageTypes="stream"), 404, 2001)
    # Lists filter items out.
    album = await get_ok(client, "release/tracks", releaseid=1, usageTypes="stream")
    full = await get_ok(client, "release/tracks", releaseid=1)
    assert 0 < album["totalItems"] < full["totalItems"]
    assert all("stream" in t["usageTypes"] for t in album["tracks"])
    releases = await get_ok(client, "release/search", q="a", usageTypes="stream", pageSize=50)
    assert all("stream" in r["usageTypes"] for r in releases["results"])


async def test_artist_id_filter_on_searches(client):
    tracks = await get_ok(client, "track/search", q="the", artistId=90, pageSize=50)
    assert tracks["estimatedTotalItems"] > 0
    assert {t["artist"]["id"] for t in tracks["results"]} == {90}
    releases = await get_ok(client, "release/search", q="the", artistId=90, pageSize=50)
    assert releases["estimatedTotalItems"] > 0
    assert {r["artist"]["id"] for r in releases["results"]} == {90}
    none = await get_ok(client, "track/search", q="the", artistId=99999)
    assert none["estimatedTotalItems"] == 0


async def test_artist_releases_with_type_and_usage_filters(client):
    body = await get_ok(client, "artist/releases", artistid=114, pageSize=50)
    assert list(body) == ["status", "version", "releases"]
    listing = body["releases"]
    assert listing["page"] == 1 and listing["pageSize"] == 50 and listing["totalItems"] == 6
    assert list(listing["releases"][0]) == RELEASE_KEYS
    dates = [r["releaseDate"] for r in listing["releases"]]
    assert dates == sorted(dates, reverse=True)
    singles = (await get_ok(client, "artist/releases", artistid=114, type="single"))["releases"]
    albums = (await get_ok(client, "artist/releases", artistid=114, type="album"))["releases"]
    assert singles["totalItems"] == 4 and albums["totalItems"] == 2
    assert {r["type"] for r in singles["releases"]} == {"single"}
    assert {r["type"] for r in albums["releases"]} == {"album"}
    maiden = (await get_ok(client, "artist/releases", artistid=90))["releases"]
    assert maiden["totalItems"] == 21 and len(maiden["releases"]) == 10 and maiden["pageSize"] == 10
    page3 = (await get_ok(client, "artist/releases", artistid=90, page=3))["releases"]
    assert len(page3["releases"]) == 1
    # Artists without releases exist in Chinook: an empty list, not an error.
    lonely = next(a.id for a in get_catalog().artists.values() if not a.release_ids)
    empty = (await get_ok(client, "artist/releases", artistid=lonely))["releases"]
    assert empty["totalItems"] == 0 and empty["releases"] == []


# --------------------------------------------------------------------------- browse


async def test_browse_by_letter(client):
    body = await get_ok(client, "artist/browse", letter="A", pageSize=50)
    assert list(body) == ["status", "version", "artists"]
    listing = body["artists"]
    assert listing["letter"] == "a" and listing["page"] == 1 and listing["pageSize"] == 50
    names = [a["name"] for a in listing["artists"]]
    assert listing["totalItems"] == len(names) == 26
    assert "AC/DC" in names and "Antônio Carlos Jobim" in names
    assert all(normalize(n).startswith("a") for n in names)
    assert [normalize(n) for n in names] == sorted(normalize(n) for n in names)
    assert list(listing["artists"][0]) == ARTIST_KEYS
    paged = (await get_ok(client, "artist/browse", letter="a", page=2))["artists"]
    assert [a["name"] for a in paged["artists"]] == names[10:20]
    for symbol in ("0", "#"):
        other = (await get_ok(client, "artist/browse", letter=symbol))["artists"]
        assert other["totalItems"] == 0 and other["artists"] == []


# --------------------------------------------------------------------------- images


async def test_image_urls_follow_image_size_and_base(client):
    default = (await get_ok(client, "track/details", trackid=2))["track"]
    assert default["artist"]["image"] == f"{BASE}/images/artist/2_350.svg"
    assert default["release"]["image"] == f"{BASE}/images/release/2_350.svg"
    small = (await get_ok(client, "track/details", trackid=2, imageSize=50))["track"]
    assert small["artist"]["image"] == f"{BASE}/images/artist/2_50.svg"
    assert small["release"]["image"] == f"{BASE}/images/release/2_50.svg"
    search = await get_ok(client, "release/search", q="balls", imageSize=800)
    assert search["results"][0]["image"].endswith("_800.svg")
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://other:9000") as c:
        other = (await get_ok(c, "artist/details", artistid=1))["artist"]
    assert other["image"] == "http://other:9000/images/artist/1_350.svg"
    assert other["url"] == "http://other:9000/artist/ac-dc"


async def test_images_are_served_deterministically(client, control):
    url = (await get_ok(client, "artist/details", artistid=1, imageSize=180))["artist"]["image"]
    first = await client.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("image/svg+xml")
    assert first.text.startswith("<svg") and 'width="180"' in first.text and 'height="180"' in first.text
    assert (await client.get(url)).content == first.content
    other = await client.get("/images/artist/2_180.svg")
    assert other.status_code == 200 and other.content != first.content
    release = await client.get("/images/release/347_33.svg")
    assert release.status_code == 200 and 'width="33"' in release.text
    for missing in (
        "/images/artist/276_350.svg",
        "/images/artist/1_351.svg",
        "/images/track/1_350.svg",
        "/images/release/1_350.png",
    ):
        assert (await client.get(missing)).status_code == 404, missing
    assert control.counts["artist/details"] == 1 and control.total == 1  # images are not counted


# --------------------------------------------------------------------------- controls


async def test_counters_by_endpoint(client, control):
    await get(client, "track/details", trackid=1)
    await get(client, "track/details", trackid=2)
    await get(client, "track/details", trackid=99999)  # errors count too
    await get(client, "track/details/batch", trackids="1,2")
    await client.get("/1.2/artist/search", params={"q": "a"})  # missing key: still a request
    await client.get("/1.2/status")  # health probe: not counted
    assert control.counts == {"track/details": 3, "track/details/batch": 1, "artist/search": 1}
    assert control.total == 5
    stats = (await client.get("/_sandbox/stats")).json()
    assert stats == {"total": 5, "counts": {"artist/search": 1, "track/details": 3, "track/details/batch": 1}}
    assert control.total == 5  # control endpoints are not counted
    control.reset()
    assert control.total == 0 and not control.counts


async def test_fault_latency(client, control):
    control.latency = 0.15
    start = time.perf_counter()
    response = await get(client, "artist/details", artistid=1)
    assert time.perf_counter() - start >= 0.15
    assert response.status_code == 200 and response.json()["artist"]["id"] == 1


async def test_fault_fail_status(client, control):
    control.fail_status = 503
    response = await get(client, "artist/details", artistid=1)
    body = assert_error(response, 503, 9001)
    assert "503" in body["error"]["errorMessage"]
    assert control.counts["artist/details"] == 1  # faulty requests are counted
    status = await client.get("/1.2/status")
    assert status.status_code == 503


async def test_fault_garbage(client, control):
    control.garbage = True
    response = await get(client, "track/details", trackid=1)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)
    assert control.counts["track/details"] == 1


async def test_fault_paths_restrict_faults(client, control):
    control.fail_status = 500
    control.paths = {"track/details/batch"}
    assert (await get(client, "track/details", trackid=1)).status_code == 200
    assert_error(await get(client, "track/details/batch", trackids="1"), 500, 9001)
    assert (await client.get("/1.2/status")).status_code == 200
    control.reset()
    assert control.faults() == {"latency": 0.0, "fail_status": None, "garbage": False, "paths": None}
    assert (await get(client, "track/details/batch", trackids="1")).status_code == 200
    assert control.total == 1


async def test_fault_control_over_http(client, control):
    response = await client.post(
        "/_sandbox/faults", json={"fail_status": 502, "paths": ["/1.2/release/details"], "latency": 0}
    )
    assert response.status_code == 200
    assert response.json() == {"latency": 0.0, "fail_status": 502, "garbage": False, "paths": ["release/details"]}
    assert control.fail_status == 502 and control.paths == {"release/details"}
    assert_error(await get(client, "release/details", releaseid=1), 502, 9001)
    assert (await get(client, "release/tracks", releaseid=1)).status_code == 200

    # Posting replaces the whole configuration.
    await client.post("/_sandbox/faults", json={"garbage": True})
    assert control.fail_status is None and control.paths is None and control.garbage is True
    garbage = await get(client, "release/tracks", releaseid=1)
    with pytest.raises(ValueError):
        json.loads(garbage.content)
    assert (await client.get("/_sandbox/faults")).json()["garbage"] is True

    stats = (await client.get("/_sandbox/stats")).json()
    assert stats["total"] == 3 and stats["counts"] == {"release/details": 1, "release/tracks": 2}

    reset = await client.post("/_sandbox/reset")
    assert reset.status_code == 200
    assert reset.json()["total"] == 0 and reset.json()["faults"]["garbage"] is False
    assert control.total == 0 and control.garbage is False
    assert (await get(client, "release/tracks", releaseid=1)).status_code == 200

    for bad in ({"latency": -1}, {"fail_status": "x"}, {"garbage": "yes"}, {"paths": "a"}, {"nope": 1}, [1]):
        assert (await client.post("/_sandbox/faults", json=bad)).status_code == 400, bad
    assert (await client.post("/_sandbox/faults", content=b"{not json")).status_code == 400


async def test_http_latency_fault(client, control):
    await client.post("/_sandbox/faults", json={"latency": 0.1, "paths": ["track/search"]})
    start = time.perf_counter()
    assert (await get(client, "artist/search", q="a")).status_code == 200
    fast = time.perf_counter() - start
    start = time.perf_counter()
    assert (await get(client, "track/search", q="a")).status_code == 200
    slow = time.perf_counter() - start
    assert slow >= 0.1 and fast < 0.1


def test_each_app_has_its_own_control():
    first, second = create_app(), create_app()
    assert isinstance(first.state.sandbox, SandboxControl)
    assert first.state.sandbox is not second.state.sandbox
    first.state.sandbox.counts["x"] += 1
    assert second.state.sandbox.total == 0


def test_load_catalog_builds_fresh_equal_instances():
    fresh = load_catalog()
    cached = get_catalog()
    assert fresh is not cached
    assert orjson.dumps(fresh.tracks[42].full) == orjson.dumps(cached.tracks[42].full)
