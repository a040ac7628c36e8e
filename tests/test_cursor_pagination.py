"""Issue 17.3: keyset (cursor) pagination beside the offset pages, REST (`?cursor=`) and GraphQL (Relay).

A walk sees every row that existed when it started exactly once while rows are added; cursors are
opaque and signed for one list of one tenant (and caller, keyword, playlist): altered or foreign ones
are a 422 VALIDATION_FAILED and select nothing; without `cursor` the REST answers are as before.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.api import Api, TenantHandle, bearer, gql_codes
from tests.dbstate import row_counts
from yourmusic.rest_compat.cursor import CURSOR_PAGE

USERS = "query($n: Int!, $after: String){ usersConnection(first: $n, after: $after){ edges { cursor node { id } } " \
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"


async def _walk_rest(http: Any, path: str, auth: dict[str, str], per_page: int, between: Any = None,
                     **params: Any) -> list[dict[str, Any]]:
    """Every item of a REST cursor walk; `between()` runs after each page."""
    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        r = await http.get(path, params={**params, "cursor": cursor, "per_page": per_page}, headers=auth)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(CURSOR_PAGE)
        body = r.json()
        assert set(body) == {"data", "links", "meta"} and body["meta"]["per_page"] == per_page
        assert len(body["data"]) <= per_page
        seen.extend(body["data"])
        if between is not None:
            await between()
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            assert body["links"]["next"] is None
            return seen
        assert body["links"]["next"] is not None and "cursor=" in body["links"]["next"]


async def test_users_walk_sees_each_user_once_while_users_are_added(api: Api, tenant: TenantHandle,
                                                                    http: Any) -> None:
    before = [(await api.create_user(tenant))["id"] for _ in range(7)]
    added: list[str] = []

    async def add() -> None:
        added.append((await api.create_user(tenant))["id"])

    seen = [u["id"] for u in await _walk_rest(http, "/api/users", tenant.auth, 2, add)]
    assert len(seen) == len(set(seen))  # nobody twice
    assert set(before) <= set(seen)  # nobody who was there is missed
    assert set(seen) <= set(before) | set(added)
    offset = (await http.get("/api/users", params={"per_page": 100}, headers=tenant.auth)).json()
    assert [u["id"] for u in offset["data"]][:len(seen)] == seen  # the same order as the offset pages
    assert set(offset) == {"data", "links", "meta"} and offset["meta"]["total"] == len(before) + len(added)

    # GraphQL: the same walk through the connection
    ids, after = [], None
    while True:
        page = (await api.gql(USERS, {"n": 3, "after": after}, headers=tenant.auth))["data"]["usersConnection"]
        ids += [e["node"]["id"] for e in page["edges"]]
        info = page["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if page["edges"]:
            assert info["startCursor"] == page["edges"][0]["cursor"] and info["endCursor"] == page["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert ids == [u["id"] for u in offset["data"]]


async def test_cursors_are_opaque_and_tampering_is_refused(api: Api, tenant: TenantHandle, http: Any) -> None:
    users = [await api.create_user(tenant) for _ in range(3)]
    r = await http.get("/api/users", params={"cursor": "", "per_page": 1}, headers=tenant.auth)
    cursor = r.json()["meta"]["next_cursor"]
    assert users[0]["id"] not in cursor and users[0]["created_at"][:10] not in cursor
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    flipped = bytes(raw[:-2]) + bytes([raw[-2] ^ 1]) + bytes(raw[-1:])
    tampered = [
        base64.urlsafe_b64encode(flipped).decode().rstrip("="),  # one bit of the values
        cursor[:-1] + ("A" if cursor[-1] != "A" else "B"),  # its last character
        cursor[:10], "not a cursor", "%%%", "a" * 40, "é",
    ]
    counts = await row_counts()
    for bad in tampered:
        r = await http.get("/api/users", params={"cursor": bad}, headers=tenant.auth)
        assert r.status_code == 422, (bad, r.text)
        assert list(r.json()["errors"]) == ["cursor"], r.text  # Laravel's 422 (VALIDATION_FAILED)
        result = await api.gql(USERS, {"n": 2, "after": bad}, headers=tenant.auth)
        assert gql_codes(result) == ["VALIDATION_FAILED"] and result["data"] is None
        assert list(result["errors"][0]["extensions"]["errors"]) == ["after"]
    r = await http.get("/api/users", params={"cursor": "x" * 513}, headers=tenant.auth)
    assert r.status_code == 422 and "cursor" in r.json()["errors"]
    result = await api.gql(USERS, {"n": 0}, headers=tenant.auth)
    assert gql_codes(result) == ["VALIDATION_FAILED"] and "first" in result["errors"][0]["extensions"]["errors"]
    assert await row_counts() == counts


async def test_a_cursor_of_another_tenant_selects_nothing_of_theirs(api: Api, tenant: TenantHandle,
                                                                    other_tenant: TenantHandle, http: Any) -> None:
    mine = {(await api.create_user(tenant))["id"] for _ in range(2)}
    theirs = {(await api.create_user(other_tenant))["id"] for _ in range(3)}
    r = await http.get("/api/users", params={"cursor": "", "per_page": 1}, headers=other_tenant.auth)
    foreign = r.json()["meta"]["next_cursor"]
    r = await http.get("/api/users", params={"cursor": foreign}, headers=tenant.auth)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["cursor"]
    assert not theirs & set(str(r.json()))
    result = await api.gql(USERS, {"n": 5, "after": foreign}, headers=tenant.auth)
    assert gql_codes(result) == ["VALIDATION_FAILED"] and not theirs & set(str(result))
    walked = {u["id"] for u in await _walk_rest(http, "/api/users", tenant.auth, 1)}
    assert walked == mine


async def test_playlist_walks(api: Api, tenant: TenantHandle, http: Any, upstream: Any) -> None:
    owner, other = await api.create_user(tenant), await api.create_user(tenant)
    auth, other_auth = bearer(await api.udt(tenant, owner["id"])), bearer(await api.udt(tenant, other["id"]))
    names = [f"Mix {n} café" for n in range(5)] + ["Other"]
    for name in names:
        r = await http.post("/api/playlists", json={"playlist_name": name, "public": True}, headers=auth)
        assert r.status_code == 201
    mine = [p["id"] for p in (await http.get("/api/playlists", headers=auth)).json()]
    assert [p["id"] for p in await _walk_rest(http, "/api/playlists", auth, 4)] == mine  # newest first
    found = (await http.get("/api/playlists/search", params={"keyword": "CAFE", "per_page": 50}, headers=auth)).json()
    walked = await _walk_rest(http, "/api/playlists/search", auth, 2, keyword="cafe")
    assert [p["id"] for p in walked] == [p["id"] for p in found["data"]] and len(walked) == 5
    # a search cursor is for its keyword and its caller
    r = await http.get("/api/playlists/search", params={"keyword": "cafe", "cursor": "", "per_page": 1}, headers=auth)
    cursor = r.json()["meta"]["next_cursor"]
    assert (await http.get("/api/playlists/search", params={"keyword": "CAFÉ", "cursor": cursor},
                           headers=auth)).status_code == 200  # the same keyword, folded
    for params, who in (({"keyword": "mix", "cursor": cursor}, auth), ({"keyword": "cafe", "cursor": cursor}, other_auth)):
        r = await http.get("/api/playlists/search", params=params, headers=who)
        assert r.status_code == 422 and "cursor" in r.json()["errors"], r.text
    r = await http.get("/api/playlists", params={"cursor": cursor}, headers=auth)  # another list's cursor
    assert r.status_code == 422

    pid = mine[0]
    tracks = ["3", "1", "2", "1", "5"]
    await http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": t} for t in tracks]}, headers=auth)
    appended: list[str] = []

    async def append() -> None:  # adds go to the end: the walk reaches them too, once each
        if len(appended) < 2:
            appended.append("2")
            r = await http.post(f"/api/playlists/{pid}/tracks", json={"track_id": "2"}, headers=auth)
            assert r.status_code == 201

    entries = await _walk_rest(http, f"/api/playlists/{pid}/tracks", auth, 2, append)
    assert [e["order"] for e in entries] == list(range(1, 8)) and [e["track_id"] for e in entries] == tracks + appended
    q = "query($id: ID!, $after: String){ playlist(id: $id){ tracksConnection(first: 4, after: $after){ " \
        "edges { node { order trackId } } pageInfo { hasNextPage endCursor } } } }"
    first = (await api.gql(q, {"id": pid}, headers=auth))["data"]["playlist"]["tracksConnection"]
    rest = (await api.gql(q, {"id": pid, "after": first["pageInfo"]["endCursor"]}, headers=auth))["data"]["playlist"]
    rest = rest["tracksConnection"]
    assert [e["node"]["order"] for e in first["edges"] + rest["edges"]] == list(range(1, 8))
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    # another playlist's cursor
    other_pid = mine[1]
    r = await http.get(f"/api/playlists/{other_pid}/tracks", params={"cursor": first["pageInfo"]["endCursor"]},
                       headers=auth)
    assert r.status_code == 422
    # GraphQL playlists connections
    q = "query($after: String){ myPlaylistsConnection(first: 4, after: $after){ edges { node { id } } " \
        "pageInfo { endCursor hasNextPage } } }"
    page = (await api.gql(q, {}, headers=auth))["data"]["myPlaylistsConnection"]
    page2 = (await api.gql(q, {"after": page["pageInfo"]["endCursor"]}, headers=auth))["data"]["myPlaylistsConnection"]
    assert [e["node"]["id"] for e in page["edges"] + page2["edges"]] == mine
    q = "query($k: String!, $after: String){ searchPlaylistsConnection(keyword: $k, first: 3, after: $after){ " \
        "edges { node { name } } pageInfo { endCursor hasNextPage } } }"
    page = (await api.gql(q, {"k": "Café"}, headers=other_auth))["data"]["searchPlaylistsConnection"]
    page2 = (await api.gql(q, {"k": "Café", "after": page["pageInfo"]["endCursor"]}, headers=other_auth))
    names_seen = [e["node"]["name"] for e in page["edges"] + page2["data"]["searchPlaylistsConnection"]["edges"]]
    assert names_seen == [p["playlist_name"] for p in found["data"]]
    # without `cursor`, today's answers
    assert isinstance((await http.get("/api/playlists", headers=auth)).json(), list)
    r = await http.get(f"/api/playlists/{pid}/tracks", headers=auth)
    assert r.headers["content-type"] == "application/json" and isinstance(r.json(), list)
