"""Issue 17.4: one playlist search semantics on SQLite and PostgreSQL, and its index on PostgreSQL.

A keyword matches a name when its fold (case, accents, Unicode forms: `services.textsearch.fold`) is a
substring of the name's fold, which is stored with the name (`playlists.search_name`).
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import asyncpg
import pytest

from tests.api import Api, TenantHandle, bearer
from tests.conftest import BACKEND
from tests.migration_db import execute, fetch, migrate, scratch_database
from tests.statements import sent_statements
from yourmusic.models import Playlist
from yourmusic.services.textsearch import fold

NAMES = ["Café del Mar", "CAFÉ NOIR", "Cafe\u0301 decomposed", "plain cafe", "élan vital", "ünïcödé mix",
         "Straße", "100% pure_rock", "Road trip"]


def test_fold() -> None:
    assert {fold(n) for n in ("Café", "CAFÉ", "Cafe\u0301", "cafe", "café", "ＣＡＦＥ"[:0] + "CAFE")} == {"cafe"}
    assert fold("ünïcödé") == "unicode" and fold("Élan") == "elan" and fold("Straße") == "strasse"
    assert fold("ΣΊΣΥΦΟΣ") == "σισυφοσ"
    assert unicodedata.is_normalized("NFC", fold("ø\u0301"))  # a mark on a letter with none to drop it from
    assert fold("") == ""


async def _search(http: Any, auth: dict[str, str], keyword: str, **params: Any) -> list[str]:
    r = await http.get("/api/playlists/search", params={"keyword": keyword, "per_page": 100, **params}, headers=auth)
    assert r.status_code == 200, r.text
    return [p["playlist_name"] for p in r.json()["data"]]


async def _owner(api: Api, tenant: TenantHandle) -> dict[str, str]:
    user = await api.create_user(tenant)
    return bearer(await api.udt(tenant, user["id"]))


@pytest.mark.parametrize("keyword,expected", [
    ("cafe", ["CAFÉ NOIR", "Café del Mar", "Cafe\u0301 decomposed", "plain cafe"]),
    ("CAFÉ", ["CAFÉ NOIR", "Café del Mar", "Cafe\u0301 decomposed", "plain cafe"]),
    ("Cafe\u0301", ["CAFÉ NOIR", "Café del Mar", "Cafe\u0301 decomposed", "plain cafe"]),
    ("café del", ["Café del Mar"]),
    ("élan", ["élan vital"]), ("ELAN", ["élan vital"]),
    ("ünïcödé", ["ünïcödé mix"]), ("unicode", ["ünïcödé mix"]),
    ("strasse", ["Straße"]), ("STRASSE", ["Straße"]),
    ("%", ["100% pure_rock"]), ("_", ["100% pure_rock"]),  # LIKE's wildcards are plain characters
    ("nothing like it", []), ("cafx", []),
])
async def test_search_semantics(api: Api, tenant: TenantHandle, http: Any, keyword: str, expected: list[str]) -> None:
    auth = await _owner(api, tenant)
    for name in NAMES:
        r = await http.post("/api/playlists", json={"playlist_name": name}, headers=auth)
        assert r.status_code == 201, r.text
    assert sorted(await _search(http, auth, keyword)) == sorted(expected)
    r = await http.post("/graphql", json={"query": "query($k: String!){ searchPlaylists(keyword: $k, perPage: 100)"
                                                   "{ data { name } meta { total } } }", "variables": {"k": keyword}},
                        headers=auth)
    found = r.json()["data"]["searchPlaylists"]
    assert sorted(p["name"] for p in found["data"]) == sorted(expected) and found["meta"]["total"] == len(expected)


async def test_search_name_follows_create_and_rename(api: Api, tenant: TenantHandle, http: Any) -> None:
    auth = await _owner(api, tenant)
    r = await http.post("/api/playlists", json={"playlist_name": "Crème Brûlée"}, headers=auth)
    pid = r.json()["id"]
    assert (await Playlist.get(id=pid)).search_name == "creme brulee"
    assert await _search(http, auth, "brulee") == ["Crème Brûlée"]
    r = await http.patch(f"/api/playlists/{pid}", json={"playlist_name": "Ünder Pressure"}, headers=auth)
    assert r.status_code == 200
    assert (await Playlist.get(id=pid)).search_name == "under pressure"
    assert await _search(http, auth, "brulee") == [] and await _search(http, auth, "UNDER") == ["Ünder Pressure"]
    r = await http.patch(f"/api/playlists/{pid}", json={"public": True}, headers=auth)  # no name: kept
    assert (await Playlist.get(id=pid)).search_name == "under pressure"
    r = await http.post("/graphql", json={"query": 'mutation($id: ID!){ updatePlaylist(id: $id, input: {name: "Ça va"})'
                                                   "{ name } }", "variables": {"id": pid}}, headers=auth)
    assert r.json()["data"]["updatePlaylist"]["name"] == "Ça va"
    assert await _search(http, auth, "ca va") == ["Ça va"]


async def test_migration_fills_existing_rows(tmp_path: Any) -> None:
    """Rows written before migration 0010 get their folded names (and PostgreSQL its trigram index)."""
    names = ["Café", "ÉLAN", "Cafe\u0301 two", "plain"]
    async with scratch_database(tmp_path) as url:
        migrate(url, "models.0008_list_indexes")
        tenant, user, at = uuid.uuid4(), uuid.uuid4(), "'2024-01-01 00:00:00+00:00'"
        no = "false" if BACKEND == "postgres" else "0"
        await execute(url, [  # literals: the values are ours, and both databases read these spellings
            f"INSERT INTO tenants (id, slug, name, created_at, updated_at) VALUES ('{tenant}', 'mig', 'mig', {at}, {at})",
            (f"INSERT INTO users (id, tenant_id, email, email_key, first_name, last_name, date_of_birth, status,"
             f" created_at, updated_at) VALUES ('{user}', '{tenant}', 'a@b.c', 'a@b.c', 'A', 'B', '1990-01-01',"
             f" 'UNSUBSCRIBED', {at}, {at})"),
            *[f"INSERT INTO playlists (id, tenant_id, user_id, name, public, track_count, created_at, updated_at)"
              f" VALUES ('{uuid.uuid4()}', '{tenant}', '{user}', '{name}', {no}, 0, {at}, {at})" for name in names],
        ])
        migrate(url)
        got = dict(await fetch(url, "SELECT name, search_name FROM playlists"))
        if BACKEND == "postgres":
            index = await fetch(url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'playlists_search_name_trgm'")
            assert index and "gin_trgm_ops" in index[0][0], index
        assert got == {"Café": "cafe", "ÉLAN": "elan", "Cafe\u0301 two": "cafe two", "plain": "plain"}


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's trigram index")
async def test_search_reads_the_trigram_index(api: Api, tenant: TenantHandle, http: Any, database_url: str) -> None:
    """The search's statements (the COUNT and the page), explained with table scans off, find the
    keyword through the trigram index. The tenant has 50,000 other playlists, analysed, so the plan is
    the one a real tenant gets: the tenant's own index would have to read all of them."""
    auth = await _owner(api, tenant)
    for name in NAMES:
        await http.post("/api/playlists", json={"playlist_name": name, "public": True}, headers=auth)
    con = await asyncpg.connect(database_url)
    try:
        await con.execute(
            "INSERT INTO playlists (id, tenant_id, user_id, name, search_name, public, track_count, created_at,"
            " updated_at) SELECT gen_random_uuid(), p.tenant_id, p.user_id, 'filler ' || g, 'filler ' || g, true, 0,"
            " now(), now() FROM generate_series(1, 50000) AS g, (SELECT tenant_id, user_id FROM playlists"
            " WHERE tenant_id = $1 LIMIT 1) AS p", uuid.UUID(str(tenant.id)))
        await con.execute("ANALYZE playlists")
        with sent_statements() as seen:
            assert len(await _search(http, auth, "Café")) == 4
        statements = [(s, v) for s, v in seen if '"search_name"' in s and "LIKE" in s.upper()]
        assert len(statements) == 2, seen  # the COUNT and the page
        await con.execute("SET enable_seqscan = off")
        for sql, values in statements:
            plan = "\n".join(r[0] for r in await con.fetch(f"EXPLAIN {sql}", *values))
            assert "playlists_search_name_trgm" in plan and "Seq Scan" not in plan, f"{sql}\n{plan}"
    finally:
        await con.close()
