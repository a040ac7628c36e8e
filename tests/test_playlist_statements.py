"""Issue 17.7: what one playlist request sends to the database (both databases).

Adding a track reads the count from the row it locks (no COUNT), replacing the tracks writes them in
one INSERT, and `GET /api/playlists/{id}?with=tracks` reads the playlist row once.
"""

from __future__ import annotations

from typing import Any

from tests.api import Api, TenantHandle, bearer
from tests.statements import flat, sent_statements


async def _owner(api: Api, tenant: TenantHandle, http: Any) -> tuple[dict[str, str], str]:
    user = await api.create_user(tenant)
    auth = bearer(await api.udt(tenant, user["id"]))
    r = await http.post("/api/playlists", json={"playlist_name": "Statements"}, headers=auth)
    assert r.status_code == 201, r.text
    return auth, r.json()["id"]


def _kinds(seen: list[tuple[str, tuple[Any, ...]]], table: str) -> list[str]:
    """The first word of each statement that names `table` (SELECT, INSERT, UPDATE, DELETE)."""
    return [flat(sql).split()[0] for sql, _ in seen if f'"{table.upper()}"' in flat(sql)]


async def test_add_track_counts_nothing(api: Api, tenant: TenantHandle, http: Any, upstream: Any) -> None:
    auth, pid = await _owner(api, tenant, http)
    for n, track in enumerate(("1", "2", "1"), start=1):
        with sent_statements() as seen:
            r = await http.post(f"/api/playlists/{pid}/tracks", json={"track_id": track}, headers=auth)
        assert r.status_code == 201 and r.json()["order"] == n, r.text
        assert not [s for s, _ in seen if "COUNT(" in flat(s)], seen
        assert _kinds(seen, "playlist_tracks") == ["INSERT"], seen
        # the visibility read, the lock, the count update
        assert _kinds(seen, "playlists") == ["SELECT", "SELECT", "UPDATE"], seen
    r = await http.get(f"/api/playlists/{pid}/tracks", headers=auth)
    assert [(e["order"], e["track_id"]) for e in r.json()] == [(1, "1"), (2, "2"), (3, "1")]


async def test_replace_tracks_is_one_insert(api: Api, tenant: TenantHandle, http: Any, upstream: Any) -> None:
    auth, pid = await _owner(api, tenant, http)
    await http.post(f"/api/playlists/{pid}/tracks", json={"track_id": "9"}, headers=auth)
    wanted = ["3", "1", "2", "1", "5"]
    with sent_statements() as seen:
        r = await http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": t} for t in wanted]},
                           headers=auth)
    assert r.status_code == 200, r.text
    assert [(e["order"], e["track_id"]) for e in r.json()] == list(enumerate(wanted, start=1))
    assert _kinds(seen, "playlist_tracks") == ["DELETE", "INSERT"], seen
    assert not [s for s, _ in seen if "COUNT(" in flat(s)], seen
    listed = (await http.get(f"/api/playlists/{pid}/tracks", headers=auth)).json()
    assert [{k: v for k, v in e.items() if k != "track"} for e in listed] == r.json()  # the PUT answered what was stored
    got = (await http.get(f"/api/playlists/{pid}", headers=auth)).json()
    assert got["id"] == pid
    r = await http.post("/graphql", json={"query": "query($id: ID!){ playlist(id: $id){ trackCount } }",
                                          "variables": {"id": pid}}, headers=auth)
    assert r.json()["data"]["playlist"]["trackCount"] == len(wanted)


async def test_get_with_tracks_reads_the_playlist_once(api: Api, tenant: TenantHandle, http: Any,
                                                      upstream: Any) -> None:
    auth, pid = await _owner(api, tenant, http)
    await http.post(f"/api/playlists/{pid}/tracks", json={"track_id": "1"}, headers=auth)
    with sent_statements() as seen:
        r = await http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert r.status_code == 200 and [e["track_id"] for e in r.json()["tracks"]] == ["1"], r.text
    assert _kinds(seen, "playlists") == ["SELECT"], seen
    assert _kinds(seen, "playlist_tracks") == ["SELECT"], seen
    with sent_statements() as seen:
        r = await http.post("/graphql", json={"query": "query($id: ID!){ playlist(id: $id){ tracks { order } } }",
                                              "variables": {"id": pid}}, headers=auth)
    assert r.json()["data"]["playlist"]["tracks"] == [{"order": 1}], r.text
    assert _kinds(seen, "playlists") == ["SELECT"], seen
