"""Playlists (#19-#29 and GraphQL twins): visibility, dense orders, catalog checks, concurrency, model tests."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import bearer, gql_codes
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.services import playlists as svc


class People:
    def __init__(self, api, tenant, owner, other, owner_token, other_token, foreign_token):
        self.api, self.tenant = api, tenant
        self.owner, self.other = owner, other
        self.owner_auth, self.other_auth = bearer(owner_token), bearer(other_token)
        self.owner_token, self.foreign_token = owner_token, foreign_token


@pytest_asyncio.fixture
async def people(api, tenant, other_tenant) -> People:
    owner = await api.create_user(tenant)
    other = await api.create_user(tenant)
    stranger = await api.create_user(other_tenant)
    return People(api, tenant, owner, other, await api.udt(tenant, owner["id"]), await api.udt(tenant, other["id"]),
                  await api.udt(other_tenant, stranger["id"]))


async def _playlist(p: People, name="Road trip", public=False) -> dict:
    r = await p.api.http.post("/api/playlists", json={"playlist_name": name, "public": public}, headers=p.owner_auth)
    assert r.status_code == 201, r.text
    return r.json()


async def _orders(p: People, playlist_id: str) -> list[int]:
    """The orders the API answers (dense 1..n is asserted by `_track_ids`'s caller); the stored ranks
    behind them are unique, and `rank_end` is at least the highest."""
    ranks = list(await PlaylistTrack.filter(playlist_id=playlist_id).order_by("rank").values_list("rank", flat=True))
    assert len(set(ranks)) == len(ranks)
    assert not ranks or (await Playlist.get(id=playlist_id)).rank_end >= ranks[-1]
    r = await p.api.http.get(f"/api/playlists/{playlist_id}/tracks", headers=p.owner_auth)
    return [e["order"] for e in r.json()]


async def _track_ids(p: People, playlist_id: str) -> list[str]:
    r = await p.api.http.get(f"/api/playlists/{playlist_id}/tracks", headers=p.owner_auth)
    assert r.status_code == 200
    body = r.json()
    assert [e["order"] for e in body] == list(range(1, len(body) + 1))
    return [e["track_id"] for e in body]


async def test_crud_and_shapes(people):
    p = people
    made = await _playlist(p)
    assert set(made) == {"id", "tenant_id", "user_id", "playlist_name", "public", "created_at", "updated_at"}
    assert made["public"] is False and made["user_id"] == p.owner["id"] and made["tenant_id"] == str(p.tenant.id)
    pid = made["id"]
    r = await p.api.http.patch(f"/api/playlists/{pid}", json={"playlist_name": "Renamed"}, headers=p.owner_auth)
    assert r.status_code == 200 and r.json()["playlist_name"] == "Renamed" and r.json()["public"] is False
    r = await p.api.http.put(f"/api/playlists/{pid}", json={"public": True}, headers=p.owner_auth)
    assert r.json()["public"] is True and r.json()["playlist_name"] == "Renamed"
    second = await _playlist(p, "Second")
    mine = (await p.api.http.get("/api/playlists", headers=p.owner_auth)).json()
    assert [x["id"] for x in mine] == [second["id"], pid]  # newest first
    await p.api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": "1"}, headers=p.owner_auth)
    assert (await p.api.http.delete(f"/api/playlists/{pid}", headers=p.owner_auth)).status_code == 204
    assert await PlaylistTrack.filter(playlist_id=pid).count() == 0
    assert (await p.api.http.get(f"/api/playlists/{pid}", headers=p.owner_auth)).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({}, "playlist_name"), ({"playlist_name": ""}, "playlist_name"), ({"playlist_name": "x" * 256}, "playlist_name"),
    ({"playlist_name": "ok", "public": "yes please"}, "public"), ({"playlist_name": 5}, "playlist_name"),
])
async def test_create_validation(people, body, field):
    before = await Playlist.filter(user_id=people.owner["id"]).count()
    r = await people.api.http.post("/api/playlists", json=body, headers=people.owner_auth)
    assert r.status_code == 422 and field in r.json()["errors"]
    assert await Playlist.filter(user_id=people.owner["id"]).count() == before


async def test_visibility_matrix_rest(people, api, tenant):
    p = people
    private = await _playlist(p, "Private")
    public = await _playlist(p, "Public", public=True)
    await api.http.post(f"/api/playlists/{public['id']}/tracks", json={"track_id": "1"}, headers=p.owner_auth)
    entry = (await api.http.get(f"/api/playlists/{public['id']}/tracks", headers=p.owner_auth)).json()[0]
    for pl in (private, public):
        assert (await api.http.get(f"/api/playlists/{pl['id']}", headers=p.owner_auth)).status_code == 200
    # Same tenant, not the owner: public readable, private 404; every write on the public one 403.
    assert (await api.http.get(f"/api/playlists/{public['id']}?with=tracks", headers=p.other_auth)).status_code == 200
    assert (await api.http.get(f"/api/playlists/{private['id']}", headers=p.other_auth)).status_code == 404
    writes = [
        ("PATCH", f"/api/playlists/{public['id']}", {"playlist_name": "x"}),
        ("PUT", f"/api/playlists/{public['id']}", {"playlist_name": "x"}),
        ("DELETE", f"/api/playlists/{public['id']}", None),
        ("POST", f"/api/playlists/{public['id']}/tracks", {"track_id": "2"}),
        ("PUT", f"/api/playlists/{public['id']}/tracks", {"tracks": []}),
        ("DELETE", f"/api/playlists/{public['id']}/tracks/{entry['id']}", None),
        ("PATCH", f"/api/playlists/{public['id']}/tracks/{entry['id']}", {"order": 1}),
    ]
    for method, path, body in writes:
        r = await api.http.request(method, path, json=body, headers=p.other_auth)
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", (method, path)
        r = await api.http.request(method, path.replace(public["id"], private["id"]), json=body, headers=p.other_auth)
        assert r.status_code == 404, (method, path)
        # Another tenant's user: 404 for everything, public or not.
        r = await api.http.request(method, path, json=body, headers=bearer(p.foreign_token))
        assert r.status_code == 404, (method, path)
    assert (await api.http.get(f"/api/playlists/{public['id']}", headers=bearer(p.foreign_token))).status_code == 404
    # A client token is the wrong kind of token.
    assert (await api.http.get("/api/playlists", headers=tenant.auth)).status_code == 403
    assert await _track_ids(p, public["id"]) == ["1"]


async def test_visibility_matrix_graphql(people, api, tenant):
    p = people
    private = await _playlist(p, "Private")
    public = await _playlist(p, "Public", public=True)
    q = "query($id: ID!){ playlist(id: $id){ id name owner { id } trackCount } }"
    assert (await api.gql(q, {"id": public["id"]}, p.owner_token))["data"]["playlist"]["owner"]["id"] == p.owner["id"]
    other_token = p.other_auth["Authorization"].split()[1]
    assert (await api.gql(q, {"id": public["id"]}, other_token))["data"]["playlist"]["name"] == "Public"
    assert gql_codes(await api.gql(q, {"id": private["id"]}, other_token)) == ["NOT_FOUND"]
    assert gql_codes(await api.gql(q, {"id": public["id"]}, p.foreign_token)) == ["NOT_FOUND"]
    assert gql_codes(await api.gql(q, {"id": public["id"]}, tenant.token)) == ["FORBIDDEN"]
    m = 'mutation($id: ID!){ updatePlaylist(id: $id, input: {name: "x"}){ id } }'
    assert gql_codes(await api.gql(m, {"id": public["id"]}, other_token)) == ["FORBIDDEN"]
    assert gql_codes(await api.gql(m, {"id": private["id"]}, other_token)) == ["NOT_FOUND"]


async def test_track_operations_keep_orders_dense(people, api):
    p = people
    pid = (await _playlist(p))["id"]
    before = (await api.http.get(f"/api/playlists/{pid}", headers=p.owner_auth)).json()["updated_at"]
    for t in ("1", "2", "3", "4", "2"):
        r = await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": t}, headers=p.owner_auth)
        assert r.status_code == 201
    assert r.json()["order"] == 5 and set(r.json()) == {"id", "playlist_id", "track_id", "order", "created_at",
                                                        "updated_at"}
    assert await _track_ids(p, pid) == ["1", "2", "3", "4", "2"]
    after = (await api.http.get(f"/api/playlists/{pid}", headers=p.owner_auth)).json()["updated_at"]
    assert after > before
    entries = (await api.http.get(f"/api/playlists/{pid}/tracks", headers=p.owner_auth)).json()
    assert entries[0]["track"]["title"].startswith("For Those About To Rock")
    r = await api.http.patch(f"/api/playlists/{pid}/tracks/{entries[0]['id']}", json={"order": 3}, headers=p.owner_auth)
    assert r.status_code == 200 and r.json()["order"] == 3
    assert await _track_ids(p, pid) == ["2", "3", "1", "4", "2"]
    r = await api.http.patch(f"/api/playlists/{pid}/tracks/{entries[3]['id']}", json={"order": 99}, headers=p.owner_auth)
    assert r.json()["order"] == 5  # past the end means last
    assert await _track_ids(p, pid) == ["2", "3", "1", "2", "4"]
    assert (await api.http.delete(f"/api/playlists/{pid}/tracks/{entries[1]['id']}", headers=p.owner_auth)).status_code == 204
    assert await _track_ids(p, pid) == ["3", "1", "2", "4"]
    r = await api.http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": "9"}, {"track_id": "8"}]},
                           headers=p.owner_auth)
    assert r.status_code == 200 and [(e["track_id"], e["order"]) for e in r.json()] == [("9", 1), ("8", 2)]
    with_tracks = (await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=p.owner_auth)).json()
    assert [t["track"]["id"] for t in with_tracks["tracks"]] == [9, 8]


async def test_bad_track_edits_change_nothing(people, api, upstream):
    p = people
    pid = (await _playlist(p))["id"]
    await api.http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": "1"}, {"track_id": "2"}]},
                       headers=p.owner_auth)
    entry = (await api.http.get(f"/api/playlists/{pid}/tracks", headers=p.owner_auth)).json()[0]
    cases = [
        ("POST", f"/api/playlists/{pid}/tracks", {"track_id": "999999"}, 422),
        ("POST", f"/api/playlists/{pid}/tracks", {"track_id": ""}, 422),
        ("POST", f"/api/playlists/{pid}/tracks", {}, 422),
        ("PUT", f"/api/playlists/{pid}/tracks", {"tracks": [{"track_id": "3"}, {"track_id": "999999"}]}, 422),
        ("PUT", f"/api/playlists/{pid}/tracks", {"tracks": [{"track_id": "1"}] * 101}, 422),
        ("PUT", f"/api/playlists/{pid}/tracks", {"tracks": "1,2"}, 422),
        ("PATCH", f"/api/playlists/{pid}/tracks/{entry['id']}", {"order": 0}, 422),
        ("PATCH", f"/api/playlists/{pid}/tracks/{entry['id']}", {"order": "first"}, 422),
        ("PATCH", f"/api/playlists/{pid}/tracks/{uuid.uuid4()}", {"order": 1}, 404),
        ("DELETE", f"/api/playlists/{pid}/tracks/not-a-uuid", None, 404),
    ]
    for method, path, body, status in cases:
        r = await api.http.request(method, path, json=body, headers=p.owner_auth)
        assert r.status_code == status, (method, body, r.text)
    assert await _track_ids(p, pid) == ["1", "2"]
    # A whole replace is checked with one batched catalog call.
    await upstream.reset()
    ids = [str(i) for i in range(100, 150)]
    r = await api.http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": t} for t in ids]},
                           headers=p.owner_auth)
    assert r.status_code == 200 and upstream.control.counts["track/details/batch"] == 1 and upstream.calls == 1


async def test_search(people, api):
    p = people
    await _playlist(p, "Summer Hits")
    await _playlist(p, "summer private")
    other_public = await api.http.post("/api/playlists", json={"playlist_name": "SUMMER of others", "public": True},
                                       headers=p.other_auth)
    await api.http.post("/api/playlists", json={"playlist_name": "summer hidden"}, headers=p.other_auth)
    r = await api.http.get("/api/playlists/search?keyword=Summer&per_page=2", headers=p.owner_auth)
    body = r.json()
    assert body["meta"]["total"] == 3 and len(body["data"]) == 2
    r = await api.http.get("/api/playlists/search?keyword=summer&per_page=10", headers=p.owner_auth)
    names = {x["playlist_name"] for x in r.json()["data"]}
    assert names == {"Summer Hits", "summer private", "SUMMER of others"} and other_public.status_code == 201
    assert (await api.http.get("/api/playlists/search", headers=p.owner_auth)).status_code == 422
    assert (await api.http.get("/api/playlists/search?keyword=x", headers=bearer(p.foreign_token))).json()["meta"]["total"] == 0


async def test_graphql_200_track_playlist_call_counts(people, api, upstream):
    p = people
    pid = (await _playlist(p))["id"]
    ids = [str(i) for i in range(1, 201)]
    await api.http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": t} for t in ids[:100]]},
                       headers=p.owner_auth)
    for t in ids[100:]:  # a replace takes at most 100; the rest are appended
        assert (await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": t},
                                    headers=p.owner_auth)).status_code == 201
    assert await PlaylistTrack.filter(playlist_id=pid).count() == 200
    await upstream.reset()
    q = """query($id: ID!){ playlist(id: $id){ trackCount tracks(limit: 200){ order track { title release { title }
           artist { name } } } } }"""
    cold = await api.gql(q, {"id": pid}, p.owner_token)
    assert "errors" not in cold, cold
    rows = cold["data"]["playlist"]["tracks"]
    assert len(rows) == 200 and [r["order"] for r in rows] == list(range(1, 201))
    assert rows[0]["track"]["artist"]["name"] == "AC/DC"
    assert upstream.calls <= 8, upstream.control.counts
    upstream.control.reset()
    assert await api.gql(q, {"id": pid}, p.owner_token) == cold
    assert upstream.calls == 0


async def test_graphql_mutations(people, api):
    p = people
    t = p.owner_token
    made = (await api.gql('mutation{ createPlaylist(input: {name: "G", public: true}){ id name public trackCount } }',
                          token=t))["data"]["createPlaylist"]
    pid = made["id"]
    r = await api.gql('mutation($p: ID!){ replacePlaylistTracks(playlistId: $p, trackIds: ["1","2","3"]){ id order } }',
                      {"p": pid}, t)
    entries = r["data"]["replacePlaylistTracks"]
    r = await api.gql('mutation($p: ID!, $e: ID!){ movePlaylistTrack(playlistId: $p, playlistTrackId: $e, order: 1){ order } }',
                      {"p": pid, "e": entries[2]["id"]}, t)
    assert r["data"]["movePlaylistTrack"]["order"] == 1
    r = await api.gql('mutation($p: ID!){ addTrackToPlaylist(playlistId: $p, trackId: "999999"){ id } }', {"p": pid}, t)
    assert r["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    r = await api.gql('mutation($p: ID!, $e: ID!){ removePlaylistTrack(playlistId: $p, playlistTrackId: $e) }',
                      {"p": pid, "e": entries[0]["id"]}, t)
    assert r["data"]["removePlaylistTrack"] is True
    got = await api.gql('query($p: ID!){ playlist(id: $p){ trackCount tracks { order track { id } } } }', {"p": pid}, t)
    assert got["data"]["playlist"]["trackCount"] == 2
    assert [(x["order"], x["track"]["id"]) for x in got["data"]["playlist"]["tracks"]] == [(1, "3"), (2, "2")]
    assert (await api.gql("{ myPlaylists { id } }", token=t))["data"]["myPlaylists"][0]["id"] == pid


# Rank gaps: the real one, 64 (a gap lasts 6 moves into it; windows of 2 or 4 entries around the spot meet
# `min_spacing` or not: local respreads, and whole renumbering in short lists) and 2 (a move into a gap
# exhausts it at once: the playlist is renumbered often).
GAPS = pytest.mark.parametrize("gap", [svc.GAP, 64, 2], ids=["gap", "small-gap", "tiny-gap"])


@GAPS
async def test_concurrent_edits_keep_orders_dense(people, api, gap, monkeypatch):
    """50 concurrent add/move/remove requests on one playlist (PostgreSQL: SELECT ... FOR UPDATE)."""
    monkeypatch.setattr(svc, "GAP", gap)
    p = people
    pid = (await _playlist(p))["id"]
    r = await api.http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": str(i)} for i in range(1, 21)]},
                           headers=p.owner_auth)
    entries = [e["id"] for e in r.json()]

    async def op(i: int):
        if i % 3 == 0:
            return "add", await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": str(30 + i)},
                                              headers=p.owner_auth)
        if i % 3 == 1:
            return "move", await api.http.patch(f"/api/playlists/{pid}/tracks/{entries[i % 20]}",
                                                json={"order": (i * 7) % 25 + 1}, headers=p.owner_auth)
        return "remove", await api.http.delete(f"/api/playlists/{pid}/tracks/{entries[(i * 3) % 20]}",
                                               headers=p.owner_auth)

    results = await asyncio.gather(*(op(i) for i in range(50)))
    adds = sum(1 for kind, r in results if kind == "add" and r.status_code == 201)
    removes = sum(1 for kind, r in results if kind == "remove" and r.status_code == 204)
    assert all(r.status_code in (200, 201, 204, 404) for _, r in results), [r.text for _, r in results if r.status_code >= 500]
    orders = await _orders(p, pid)
    assert orders == list(range(1, len(orders) + 1))
    assert len(orders) == 20 + adds - removes
    assert (await Playlist.get(id=pid)).track_count == len(orders)


ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(1, 40)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(1, 35)),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("replace"), st.lists(st.integers(1, 40), max_size=6)),
), max_size=12)


@GAPS
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
async def test_model_based_random_sequences(people, api, gap, monkeypatch, sequence):
    """Random add/move/remove/replace sequences against a plain Python list as the model."""
    monkeypatch.setattr(svc, "GAP", gap)
    p = people
    pid = (await _playlist(p))["id"]
    model: list[tuple[str, str]] = []  # (entry id, track id)
    for step in sequence:
        if step[0] == "add":
            r = await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": str(step[1])}, headers=p.owner_auth)
            model.append((r.json()["id"], str(step[1])))
        elif step[0] == "replace":
            r = await api.http.put(f"/api/playlists/{pid}/tracks",
                                   json={"tracks": [{"track_id": str(t)} for t in step[1]]}, headers=p.owner_auth)
            model = [(e["id"], e["track_id"]) for e in r.json()]
        elif model:
            index = step[1] % len(model)
            entry_id = model[index][0]
            if step[0] == "remove":
                r = await api.http.delete(f"/api/playlists/{pid}/tracks/{entry_id}", headers=p.owner_auth)
                assert r.status_code == 204
                model.pop(index)
            else:
                r = await api.http.patch(f"/api/playlists/{pid}/tracks/{entry_id}", json={"order": step[2]},
                                         headers=p.owner_auth)
                assert r.status_code == 200
                item = model.pop(index)
                model.insert(min(step[2], len(model) + 1) - 1, item)
                assert r.json()["order"] == model.index(item) + 1
        body = (await api.http.get(f"/api/playlists/{pid}/tracks", headers=p.owner_auth)).json()
        assert [(e["id"], e["track_id"]) for e in body] == model
        assert [e["order"] for e in body] == list(range(1, len(model) + 1))


async def test_deleting_a_user_removes_their_playlists(people, api):
    p = people
    pid = (await _playlist(p, "Doomed", public=True))["id"]
    await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": "1"}, headers=p.owner_auth)
    r = await api.http.delete(f"/api/users/{p.owner['id']}", headers=p.tenant.auth)
    assert r.status_code == 204
    assert await Playlist.filter(id=pid).count() == 0 and await PlaylistTrack.filter(playlist_id=pid).count() == 0
    assert (await api.http.get(f"/api/playlists/{pid}", headers=p.other_auth)).status_code == 404
