"""#18 the home page (and PUT /api/home, Mutation.setHomePage): audiences, modules, one-pass resolution, cache."""

from __future__ import annotations

import copy

import pytest

from tests.api import bearer, gql_codes
from yourmusic.models import HomePage
from yourmusic.services.home import DEMO_PAGE


async def _set(api, tenant, page=None) -> dict:
    r = await api.http.put("/api/home", json=page or DEMO_PAGE, headers=tenant.auth)
    assert r.status_code == 200, r.text
    return r.json()


async def test_guest_page_with_every_module_kind(api, tenant, upstream):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    pl = (await api.http.post("/api/playlists", json={"playlist_name": "Featured", "public": True},
                              headers=bearer(udt))).json()
    hidden = (await api.http.post("/api/playlists", json={"playlist_name": "Secret"}, headers=bearer(udt))).json()
    page = copy.deepcopy(DEMO_PAGE)
    page["modules"].append({"type": "public_playlists", "title": "Featured", "playlist_ids": [pl["id"], hidden["id"]]})
    await _set(api, tenant, page)
    r = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug})
    assert r.status_code == 200 and r.headers["etag"]
    body = r.json()
    assert body["page"]["title"] == "Welcome to YourMusic" and body["page"]["slug"] == "home"
    types = [m["type"] for m in body["modules"]]
    assert types == ["hero", "release_carousel", "track_list", "artist_grid", "new_releases", "new_releases",
                     "public_playlists"]  # your_playlists is hidden from guests
    assert [m["position"] for m in body["modules"]] == [1, 2, 3, 4, 5, 6, 8]
    mods = {m["title"]: m for m in body["modules"]}
    assert mods["Back in Black, forever"]["items"][0]["target"]["name"] == "AC/DC"
    assert [r["id"] for r in mods["Staff picks"]["items"]] == [1, 4, 35, 48, 94, 151]
    assert mods["Trending tracks"]["items"][0]["title"].startswith("For Those About To Rock")
    assert len(mods["Artists to know"]["items"]) == 6
    assert all(r["artist"]["id"] == 90 for r in mods["Iron Maiden, newest first"]["items"])
    assert len(mods["Iron Maiden, newest first"]["items"]) == 8
    assert [p["playlist_name"] for p in mods["Featured"]["items"]] == ["Featured"]  # the private one is not shown


async def test_signed_in_user_sees_their_playlists(api, tenant, upstream):
    await _set(api, tenant)
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    await api.http.post("/api/playlists", json={"playlist_name": "Mine"}, headers=bearer(udt))
    r = await api.http.get("/api/home", headers={**bearer(udt), "X-Tenant": "ignored-when-signed-in"})
    assert r.status_code == 200
    mine = [m for m in r.json()["modules"] if m["type"] == "your_playlists"]
    assert [p["playlist_name"] for p in mine[0]["items"]] == ["Mine"]


async def test_audience_errors(api, tenant, upstream):
    await _set(api, tenant)
    r = await api.http.get("/api/home")
    assert r.status_code == 422 and "X-Tenant" in r.json()["errors"]
    r = await api.http.get("/api/home", headers={"X-Tenant": "no-such-tenant"})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    r = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug, "Authorization": "Bearer expired.or.bad"})
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    result = await api.gql("{ home { page { title } } }", headers={"X-Tenant": tenant.slug,
                                                                   "Authorization": "Bearer nope"})
    assert gql_codes(result) == ["INVALID_AUTH_TOKEN"]


async def test_tenant_without_a_page_answers_an_empty_one(api, tenant, upstream):
    r = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug})
    assert r.status_code == 200 and r.json()["modules"] == [] and r.json()["page"]["id"] is None


async def test_one_pass_resolution_cold_and_warm(api, tenant, upstream, app):
    await _set(api, tenant)
    await upstream.reset()
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    r = await api.http.get("/api/home", headers=bearer(udt))
    assert r.status_code == 200 and len(r.json()["modules"]) == 7
    # one batch per entity kind for all modules, plus the two new-releases sources
    assert upstream.control.counts == {"release/details/batch": 1, "track/details/batch": 1,
                                       "artist/details/batch": 1, "artist/releases": 1, "release/search": 1}
    upstream.control.reset()
    assert (await api.http.get("/api/home", headers=bearer(udt))).json() == r.json()
    assert upstream.calls == 0


async def test_failing_module_is_left_out(api, tenant, upstream):
    await _set(api, tenant)
    await upstream.reset()
    upstream.control.set_faults(fail_status=500, paths={"release/search"})
    r = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug})
    assert r.status_code == 200
    titles = [m["title"] for m in r.json()["modules"]]
    assert "Rock releases" not in titles and "Staff picks" in titles and len(titles) == 5


async def test_etag_and_guest_cache_invalidation(api, tenant, upstream):
    await _set(api, tenant)
    first = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug})
    tag = first.headers["etag"]
    again = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    page = copy.deepcopy(DEMO_PAGE)
    page["title"] = "A new season"
    await _set(api, tenant, page)
    fresh = await api.http.get("/api/home", headers={"X-Tenant": tenant.slug, "If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.json()["page"]["title"] == "A new season"
    assert fresh.headers["etag"] != tag


@pytest.mark.parametrize("page,field", [
    ({"modules": []}, "title"),
    ({"title": "x", "modules": [{"type": "carousel", "title": "?"}]}, "modules.0.type"),
    ({"title": "x", "modules": [{"type": "track_list", "title": "t", "track_ids": []}]}, "modules.0.track_ids"),
    ({"title": "x", "modules": [{"type": "track_list", "title": "t", "track_ids": ["1;2"]}]}, "modules.0.track_ids.0"),
    ({"title": "x", "modules": [{"type": "artist_grid", "title": "t", "artist_ids": [str(i) for i in range(51)]}]},
     "modules.0.artist_ids"),
    ({"title": "x", "modules": [{"type": "public_playlists", "title": "t", "playlist_ids": ["nope"]}]},
     "modules.0.playlist_ids.0"),
    ({"title": "x", "modules": [{"type": "hero", "title": "t", "link": {"kind": "song", "id": "1"}}]},
     "modules.0.link.kind"),
    ({"title": "x", "modules": [{"type": "new_releases", "title": "t"}]}, "modules.0.query"),
    ({"title": "x", "modules": [{"type": "release_carousel", "title": "t", "release_ids": ["1"]}] * 31}, "modules"),
])
async def test_bad_configuration_is_422_and_changes_nothing(api, tenant, upstream, page, field):
    await _set(api, tenant)
    before = await HomePage.get(tenant_id=tenant.id)
    r = await api.http.put("/api/home", json=page, headers=tenant.auth)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"], r.json()
    after = await HomePage.get(tenant_id=tenant.id)
    assert (after.title, after.modules, after.updated_at) == (before.title, before.modules, before.updated_at)


async def test_only_the_tenant_backend_configures(api, tenant, upstream):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    assert (await api.http.put("/api/home", json=DEMO_PAGE, headers=bearer(udt))).status_code == 403
    assert (await api.http.put("/api/home", json=DEMO_PAGE)).status_code == 401


async def test_pages_are_per_tenant(api, tenant, other_tenant, upstream):
    await _set(api, tenant)
    other = copy.deepcopy(DEMO_PAGE)
    other["title"] = "Other tenant"
    await _set(api, other_tenant, other)
    a = (await api.http.get("/api/home", headers={"X-Tenant": tenant.slug})).json()
    b = (await api.http.get("/api/home", headers={"X-Tenant": other_tenant.slug})).json()
    assert a["page"]["title"] == "Welcome to YourMusic" and b["page"]["title"] == "Other tenant"
    assert a["page"]["id"] != b["page"]["id"]


async def test_graphql_home_and_set_home_page(api, tenant, upstream):
    q = """mutation($input: HomePageSetInput!){ setHomePage(input: $input){ page { title } modules { __typename } } }"""
    variables = {"input": {"title": "GraphQL page", "modules": [
        {"type": "hero", "title": "Hero", "linkKind": "release", "linkId": "1"},
        {"type": "track_list", "title": "Tracks", "trackIds": ["1", "2"]},
        {"type": "your_playlists", "title": "Yours"},
    ]}}
    result = await api.gql(q, variables, tenant.token)
    assert "errors" not in result, result
    assert [m["__typename"] for m in result["data"]["setHomePage"]["modules"]] == ["HeroModule", "TrackListModule"]
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    q = """{ home { page { title } modules { __typename
            ... on HeroModule { items { title linkKind release { title artist { name } } } }
            ... on TrackListModule { position items { title release { title } } }
            ... on YourPlaylistsModule { items { name } } } } }"""
    home = (await api.gql(q, token=udt))["data"]["home"]
    assert home["page"]["title"] == "GraphQL page"
    assert home["modules"][0]["items"][0]["release"]["artist"]["name"] == "AC/DC"
    assert home["modules"][1]["items"][1]["release"]["title"]
    assert home["modules"][2] == {"__typename": "YourPlaylistsModule", "items": []}
    bad = await api.gql('mutation{ setHomePage(input: {title: "x", modules: [{type: "nope", title: "y"}]}){ page { title } } }',
                        token=tenant.token)
    assert gql_codes(bad) == ["VALIDATION_FAILED"]
