"""Catalog (#2, #30-#40, GraphQL twins): pass-through, validation, dataloaders, caching, faults.

Upstream calls are counted by the sandbox aggregator itself (it serves over real HTTP).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.api import bearer, gql_codes


# --- REST pass-through ------------------------------------------------------------------------

async def test_track_details_pass_through(api, tenant, upstream):
    r = await api.http.get("/api/tracks/1", headers=tenant.auth)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] == "1.2"
    track = body["track"]
    assert track["title"] == "For Those About To Rock (We Salute You)"
    assert track["artist"]["name"] == "AC/DC" and track["release"]["id"] == 1
    assert {"isrc", "duration", "trackNumber", "explicitContent", "price", "usageTypes"} <= set(track)


async def test_user_token_reads_the_catalog_too(api, tenant, upstream):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    r = await api.http.get("/api/artists/1", headers=bearer(udt))
    assert r.status_code == 200 and r.json()["artist"]["name"] == "AC/DC"


async def test_catalog_needs_a_token(api, upstream):
    r = await api.http.get("/api/tracks/1")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"
    r = await api.http.get("/api/tracks/1", headers=bearer("forged"))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    assert upstream.calls == 0


@pytest.mark.parametrize("path,key", [
    ("/api/artists/search?q=iron&pageSize=10", "results"),
    ("/api/artists/browse?letter=A", "artists"),
    ("/api/artists/90/releases?type=album&imageSize=500", "releases"),
    ("/api/releases/search?q=rock&usageTypes=stream&excludeExplicitContent=true", "results"),
    ("/api/releases/batch?releaseids=1,2,3&showErrors=true", "items"),
    ("/api/releases/1?imageSize=800", "release"),
    ("/api/releases/1/tracks", "tracks"),
    ("/api/tracks/search?q=love&artistId=90&page=2", "results"),
    ("/api/tracks/batch?trackids=1,2,999999&showErrors=true", "items"),
])
async def test_every_operation_answers(api, tenant, upstream, path, key):
    r = await api.http.get(path, headers=tenant.auth)
    assert r.status_code == 200, r.text
    assert key in r.json()


async def test_parameters_reach_the_upstream(api, tenant, upstream):
    r = await api.http.get("/api/releases/1?imageSize=800", headers=tenant.auth)
    assert r.json()["release"]["image"].endswith("/1_800.svg")
    r = await api.http.get("/api/tracks/search?q=love&artistId=90", headers=tenant.auth)
    assert r.json()["results"] and all(t["artist"]["id"] == 90 for t in r.json()["results"])
    r = await api.http.get("/api/tracks/batch?trackids=1,999999&showErrors=true", headers=tenant.auth)
    items = r.json()["items"]
    assert [t["id"] for t in items["tracks"]] == [1]
    assert items["errors"][0]["itemId"] == 999999 and items["errors"][0]["code"] == 2001


@pytest.mark.parametrize("path,field", [
    ("/api/artists/search", "q"),
    ("/api/artists/search?q=", "q"),
    ("/api/artists/search?q=a&pageSize=9", "pageSize"),
    ("/api/artists/search?q=a&pageSize=51", "pageSize"),
    ("/api/artists/search?q=a&page=0", "page"),
    ("/api/artists/search?q=a&page=x", "page"),
    ("/api/artists/browse", "letter"),
    ("/api/artists/browse?letter=ab", "letter"),
    ("/api/artists/1/releases?type=ep", "type"),
    ("/api/artists/1/releases?usageTypes=rent", "usageTypes"),
    ("/api/artists/1/releases?imageSize=64", "imageSize"),
    ("/api/releases/search?q=x&excludeExplicitContent=maybe", "excludeExplicitContent"),
    ("/api/releases/1?imageSize=abc", "imageSize"),
    ("/api/releases/batch", "releaseids"),
    ("/api/releases/batch?releaseids=,,", "releaseids"),
    ("/api/releases/batch?releaseids=1;drop", "releaseids"),
    ("/api/releases/batch?releaseids=" + ",".join(str(i) for i in range(1, 52)), "releaseids"),
    ("/api/tracks/batch?trackids=1&showErrors=perhaps", "showErrors"),
    ("/api/tracks/1?usageTypes=STREAM", "usageTypes"),
])
async def test_bad_parameters_are_422_and_never_reach_the_upstream(api, tenant, upstream, path, field):
    r = await api.http.get(path, headers=tenant.auth)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["message"] == "The given data was invalid." and field in body["errors"]
    assert upstream.calls == 0


@pytest.mark.parametrize("path", ["/api/tracks/999999", "/api/releases/999999", "/api/artists/999999",
                                  "/api/artists/999999/releases", "/api/releases/999999/tracks"])
async def test_unknown_ids_are_404(api, tenant, upstream, path):
    r = await api.http.get(path, headers=tenant.auth)
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"


async def test_malformed_ids_are_404_without_an_upstream_call(api, tenant, upstream):
    for path in ("/api/tracks/1%3B2", "/api/releases/%20", "/api/artists/a.b"):
        r = await api.http.get(path, headers=tenant.auth)
        assert r.status_code == 404, path
    assert upstream.calls == 0


# --- GraphQL ------------------------------------------------------------------------------------

TRACKS_DEEP = "query($ids:[ID!]!){ tracks(ids:$ids){ id title release { title artist { name } } artist { name } } }"


async def test_graphql_track_with_relations(api, tenant, upstream):
    q = "{ track(id: 1){ id title duration release { id title year label { name } artist { name } } artist { name sortName } } }"
    result = await api.gql(q, token=tenant.token)
    assert "errors" not in result, result
    track = result["data"]["track"]
    assert track["title"].startswith("For Those About To Rock")
    assert track["release"]["artist"]["name"] == "AC/DC" and track["artist"]["sortName"] == "AC/DC"


async def test_fifty_tracks_cost_three_calls_cold_and_none_warm(api, tenant, upstream):
    ids = [str(1 + 70 * i) for i in range(50)]  # spread over many releases and artists
    cold = await api.gql(TRACKS_DEEP, {"ids": ids}, tenant.token)
    assert "errors" not in cold, cold
    tracks = cold["data"]["tracks"]
    assert [t["id"] for t in tracks] == ids
    assert len({t["release"]["title"] for t in tracks}) > 20
    assert all(t["release"]["artist"]["name"] == t["artist"]["name"] for t in tracks)
    assert upstream.calls <= 3, upstream.control.counts
    assert set(upstream.control.counts) == {"track/details/batch", "release/details/batch", "artist/details/batch"}

    upstream.control.reset()
    warm = await api.gql(TRACKS_DEEP, {"ids": ids}, tenant.token)
    assert warm == cold
    assert upstream.calls == 0


async def test_loader_chunks_at_the_batch_limit(api, tenant, upstream):
    ids = [str(i) for i in range(1, 101)]
    result = await api.gql("query($ids:[ID!]!){ tracks(ids:$ids){ id } }", {"ids": ids}, tenant.token)
    assert [t["id"] for t in result["data"]["tracks"]] == ids
    assert upstream.control.counts["track/details/batch"] == 2


async def test_one_unknown_id_fails_only_its_own_field(api, tenant, upstream):
    result = await api.gql("query($ids:[ID!]!){ tracks(ids:$ids){ id title } }",
                           {"ids": ["1", "999999", "3", "bad id!"]}, tenant.token)
    data = result["data"]["tracks"]
    assert data[0]["id"] == "1" and data[2]["id"] == "3"
    assert data[1] is None and data[3] is None
    assert sorted(e["path"] for e in result["errors"]) == [["tracks", 1], ["tracks", 3]]
    assert set(gql_codes(result)) == {"NOT_FOUND"}
    assert upstream.control.counts["track/details/batch"] == 1


async def test_graphql_searches_and_browse(api, tenant, upstream):
    q = """{ searchArtists(q: "iron", pageSize: 10){ estimatedTotalItems page results { id name } }
             searchReleases(q: "rock", usageTypes: STREAM){ results { title usageTypes } }
             searchTracks(q: "love", artistId: "90"){ results { title artist { name } } }
             browseArtists(letter: "B"){ totalItems artists { name } } }"""
    result = await api.gql(q, token=tenant.token)
    assert "errors" not in result, result
    d = result["data"]
    assert d["searchArtists"]["results"][0]["name"].lower().startswith("iron")
    assert all("stream" in r["usageTypes"] for r in d["searchReleases"]["results"])
    assert {t["artist"]["name"] for t in d["searchTracks"]["results"]} == {"Iron Maiden"}
    assert all(a["name"].upper().startswith("B") for a in d["browseArtists"]["artists"])


async def test_graphql_artist_releases_and_release_tracks(api, tenant, upstream):
    q = """{ artist(id: "90"){ name releases(pageSize: 10, type: ALBUM){ totalItems releases { title type } } }
             release(id: "1"){ tracks { totalItems tracks { trackNumber title } } } }"""
    result = await api.gql(q, token=tenant.token)
    assert "errors" not in result, result
    assert all(r["type"] == "album" for r in result["data"]["artist"]["releases"]["releases"])
    tracks = result["data"]["release"]["tracks"]
    assert tracks["totalItems"] == 10 and [t["trackNumber"] for t in tracks["tracks"]] == list(range(1, 11))


async def test_graphql_validation_matches_rest(api, tenant, upstream):
    result = await api.gql('{ searchArtists(q: "a", pageSize: 99){ page } }', token=tenant.token)
    assert result["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    assert "pageSize" in result["errors"][0]["extensions"]["errors"]
    assert gql_codes(await api.gql('{ track(id: "1"){ id } }')) == ["UNAUTHENTICATED"]
    assert upstream.calls == 0


# --- cache ---------------------------------------------------------------------------------------

async def test_hundred_concurrent_identical_requests_make_one_call(api, tenant, upstream):
    upstream.control.set_faults(latency=0.05)  # keep the first call in flight while the rest arrive
    responses = await asyncio.gather(*(api.http.get("/api/tracks/search?q=rock", headers=tenant.auth)
                                       for _ in range(100)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert upstream.calls == 1


async def test_cache_keys_carry_every_parameter(api, tenant, upstream):
    for path in ("/api/releases/1", "/api/releases/1?imageSize=800", "/api/releases/1?usageTypes=stream",
                 "/api/releases/1", "/api/releases/1?imageSize=800"):
        assert (await api.http.get(path, headers=tenant.auth)).status_code == 200
    assert upstream.control.counts["release/details"] == 3


async def test_stale_entry_served_when_upstream_fails(api, app, tenant, upstream):
    r1 = await api.http.get("/api/artists/1", headers=tenant.auth)
    cache = app.state.container.cache
    key = next(k for k in cache.backend._cache if "artist/details" in k)  # noqa: SLF001 - test inspection
    entry = cache.backend._cache[key]  # noqa: SLF001
    import orjson
    value = orjson.loads(entry)
    value["t"] = time.time() - 1  # expire it, as time would
    cache.backend._cache[key] = orjson.dumps(value)  # noqa: SLF001
    cache._l1.clear()  # noqa: SLF001 - the in-process copy would have expired with it
    upstream.control.set_faults(fail_status=500)
    r2 = await api.http.get("/api/artists/1", headers=tenant.auth)
    assert r2.status_code == 200 and r2.json() == r1.json()
    # A stale entry does not hide a real "not found" or a fresh error for a key never cached.
    r3 = await api.http.get("/api/artists/2", headers=tenant.auth)
    assert r3.status_code == 502


# --- faults ---------------------------------------------------------------------------------------

async def _heartbeat_ok(api) -> bool:
    return (await api.http.get("/api/heartbeat")).status_code == 200


async def test_upstream_500_is_502_after_bounded_retries(api, tenant, upstream):
    upstream.control.set_faults(fail_status=500)
    t0 = time.monotonic()
    r = await api.http.get("/api/tracks/2", headers=tenant.auth)
    assert r.status_code == 502 and r.json()["code"] == "AGGREGATOR_ERROR"
    assert time.monotonic() - t0 < 2
    assert upstream.control.counts["track/details"] == 3  # 1 + 2 retries
    assert "Traceback" not in r.text and await _heartbeat_ok(api)


async def test_garbage_json_is_502(api, tenant, upstream):
    upstream.control.set_faults(garbage=True)
    r = await api.http.get("/api/tracks/3", headers=tenant.auth)
    assert r.status_code == 502 and r.json()["code"] == "AGGREGATOR_ERROR"
    result = await api.gql('{ track(id: "3"){ title } }', token=tenant.token)
    assert gql_codes(result) == ["AGGREGATOR_ERROR"]


async def test_slow_upstream_is_504_within_the_timeout(api, tenant, upstream):
    upstream.control.set_faults(latency=3.0)
    t0 = time.monotonic()
    r = await api.http.get("/api/tracks/4", headers=tenant.auth)
    elapsed = time.monotonic() - t0
    assert r.status_code == 504 and r.json()["code"] == "AGGREGATOR_TIMEOUT"
    assert elapsed < 2.0  # the 1 s timeout of the test settings, never retried
    assert await _heartbeat_ok(api)


async def test_upstream_down_then_breaker_answers_fast_and_recovers(api, app, tenant, upstream, monkeypatch):
    from tests.servers import free_port

    client = app.state.container.aggregator
    monkeypatch.setattr(client, "_base", f"http://127.0.0.1:{free_port()}/1.2")  # nothing listens there
    for i in range(3):
        r = await api.http.get(f"/api/tracks/{10 + i}", headers=tenant.auth)
        assert r.status_code == 502 and r.json()["code"] == "AGGREGATOR_ERROR"
    assert client.breaker.state == "open"
    t0 = time.monotonic()
    r = await api.http.get("/api/tracks/20", headers=tenant.auth)
    assert r.status_code == 502 and time.monotonic() - t0 < 0.05
    assert (await api.http.get("/api/aggregator/status")).status_code == 503
    assert await _heartbeat_ok(api)
    assert (await api.http.get("/api/users", headers=tenant.auth)).status_code == 200

    monkeypatch.undo()  # the upstream is back
    await asyncio.sleep(0.6)  # past the breaker's reset time (test settings)
    r = await api.http.get("/api/tracks/21", headers=tenant.auth)
    assert r.status_code == 200 and client.breaker.state == "closed"


async def test_aggregator_status(api, app, upstream):
    r = await api.http.get("/api/aggregator/status")
    assert r.status_code == 200 and r.json() == {"status": "up"}
    assert (await api.gql("{ aggregatorStatus }"))["data"]["aggregatorStatus"] == "up"
    upstream.control.set_faults(fail_status=503)
    await asyncio.sleep(0.25)  # past the status cache (test settings: 0.2 s)
    r = await api.http.get("/api/aggregator/status")
    assert r.status_code == 503 and r.json() == {"status": "down"}


async def test_tenants_do_not_matter_to_the_catalog_but_tokens_do(api, tenant, other_tenant, upstream):
    a = await api.http.get("/api/tracks/5", headers=tenant.auth)
    b = await api.http.get("/api/tracks/5", headers=other_tenant.auth)
    assert a.json() == b.json()
    assert upstream.calls == 1  # shared cache across tenants: the catalog is the same for all
