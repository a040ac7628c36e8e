"""PostgreSQL: tenant lists read an index in list order, plans are per execution, no pool-reset chatter.

The statements are the ones the app sends for real requests (captured from Tortoise's query log with
their values), explained on PostgreSQL with sequential scans, bitmap scans and sorts disabled: a list
statement must then neither scan the table nor sort, which only an index that starts with the tenant
(or the owning row) and ends with the list order allows (DESIGN.md: "a request's cost follows the size
of its answer").
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.api import Api, TenantHandle, bearer
from tests.conftest import BACKEND
from tests.statements import sent_statements

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL plans and pool behaviour")

LISTED_TABLES = ('"users"', '"playlists"', '"playlist_tracks"', '"products"')


def list_statements(seen: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements that read a list: SELECTs with an ORDER BY or a COUNT over the listed tables."""
    out = []
    for sql, values in seen:
        flat = " ".join(sql.split()).upper()
        if flat.startswith("SELECT") and ("ORDER BY" in flat or "COUNT(" in flat) and any(
                t.upper() in flat for t in LISTED_TABLES):
            out.append((sql, values))
    return out


async def explain(database_url: str, sql: str, values: tuple[Any, ...]) -> str:
    con = await asyncpg.connect(database_url)
    try:
        # Steered away from scanning the table and from sorting: only an index in list order avoids both
        # (a tiny table would otherwise be read whole, which says nothing about a big one).
        await con.execute("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        return "\n".join(row[0] for row in await con.fetch(f"EXPLAIN {sql}", *values))
    finally:
        await con.close()


async def assert_indexed(database_url: str, seen: list[tuple[str, tuple[Any, ...]]], expected: int) -> None:
    statements = list_statements(seen)
    assert len(statements) == expected, [s for s, _ in seen]
    for sql, values in statements:
        plan = await explain(database_url, sql, values)
        assert "Seq Scan" not in plan and "Sort" not in plan, f"{sql}\n{plan}"
        assert "Index" in plan, plan


async def test_users_page_and_count_read_the_tenant_index(api: Api, tenant: TenantHandle, other_tenant: TenantHandle,
                                                          http: Any, database_url: str) -> None:
    for t in (tenant, other_tenant):
        for _ in range(3):
            await api.create_user(t)
    with sent_statements() as seen:
        r = await http.get("/api/users?page=2&per_page=2", headers=tenant.auth)
    assert r.status_code == 200 and r.json()["meta"]["total"] == 3 and len(r.json()["data"]) == 1
    await assert_indexed(database_url, seen, expected=2)  # the page and its COUNT


async def test_playlist_lists_read_indexes_in_list_order(api: Api, tenant: TenantHandle, http: Any,
                                                         upstream: Any, database_url: str) -> None:
    user = await api.create_user(tenant)
    token = await api.udt(tenant, user["id"])
    ids = []
    for name in ("one", "two"):
        r = await http.post("/api/playlists", json={"playlist_name": name}, headers=bearer(token))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    with sent_statements() as seen:
        r = await http.get("/api/playlists", headers=bearer(token))
    assert [p["id"] for p in r.json()] == ids[::-1]
    await assert_indexed(database_url, seen, expected=1)

    with sent_statements() as seen:
        r = await http.post("/graphql", json={"query": "query($id: ID!){ playlist(id: $id){ tracks(offset: 1, limit: 5)"
                                                        "{ order } } }", "variables": {"id": ids[0]}},
                            headers=bearer(token))
    assert r.status_code == 200 and r.json()["data"]["playlist"]["tracks"] == []
    await assert_indexed(database_url, seen, expected=1)


async def test_products_list_reads_the_tenant_index(tenant: TenantHandle, http: Any, database_url: str) -> None:
    for slug in ("basic", "family"):
        r = await http.post("/api/products", json={"slug": slug, "name": slug, "stripe_price_id": f"price_{slug}"},
                            headers=tenant.auth)
        assert r.status_code == 201, r.text
    with sent_statements() as seen:
        r = await http.get("/api/products", headers=tenant.auth)
    assert [p["slug"] for p in r.json()] == ["basic", "family"]
    await assert_indexed(database_url, seen, expected=1)


async def _app_sessions(database_url: str) -> list[asyncpg.Record]:
    con = await asyncpg.connect(database_url)
    try:
        return await con.fetch("SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    finally:
        await con.close()


async def test_pooled_connections_are_not_reset_after_each_query(tenant: TenantHandle, http: Any,
                                                                 database_url: str) -> None:
    """asyncpg's default pool reset (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`)
    would be the last statement of every pooled connection after a request; the app configures none."""
    for _ in range(3):
        r = await http.get("/api/users", headers=tenant.auth)
        assert r.status_code == 200
    sessions = await _app_sessions(database_url)
    assert sessions, "the app holds pooled connections"
    assert not [s["query"] for s in sessions if "pg_advisory_unlock_all" in s["query"]], sessions


async def test_app_connections_plan_each_execution(app: Any) -> None:
    """A cached generic plan would serve every tenant with the plan of whichever ran first (issue 17.2)."""
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict("SHOW plan_cache_mode")
    assert rows == [{"plan_cache_mode": "force_custom_plan"}]


async def test_cursor_pages_seek_the_list_index(api: Api, tenant: TenantHandle, http: Any, upstream: Any,
                                                database_url: str) -> None:
    """A keyset page is one statement (no COUNT) that seeks the list's index to the cursor: no scan, no sort.
    A playlist's entries add the one COUNT their dense orders need (the entries ranked before the page,
    at most MAX_TRACKS), read from the same index."""
    for _ in range(3):
        await api.create_user(tenant)
    first = (await http.get("/api/users?cursor=&per_page=1", headers=tenant.auth)).json()
    with sent_statements() as seen:
        r = await http.get("/api/users", params={"cursor": first["meta"]["next_cursor"], "per_page": 1},
                           headers=tenant.auth)
    assert r.status_code == 200 and len(r.json()["data"]) == 1
    await assert_indexed(database_url, seen, expected=1)
    plan = await explain(database_url, *list_statements(seen)[0])
    assert "created_at" in plan.split("Index Cond:", 1)[1].splitlines()[0], plan  # it seeks, not filters

    user = await api.create_user(tenant)
    token = await api.udt(tenant, user["id"])
    pid = (await http.post("/api/playlists", json={"playlist_name": "p"}, headers=bearer(token))).json()["id"]
    await http.post("/api/playlists", json={"playlist_name": "q"}, headers=bearer(token))
    await http.put(f"/api/playlists/{pid}/tracks", json={"tracks": [{"track_id": "1"}, {"track_id": "2"}]},
                   headers=bearer(token))
    for path, statements in (("/api/playlists", 1), (f"/api/playlists/{pid}/tracks", 2)):
        first = (await http.get(path, params={"cursor": "", "per_page": 1}, headers=bearer(token))).json()
        with sent_statements() as seen:
            r = await http.get(path, params={"cursor": first["meta"]["next_cursor"], "per_page": 1},
                               headers=bearer(token))
        assert r.status_code == 200 and len(r.json()["data"]) == 1, r.text
        await assert_indexed(database_url, seen, expected=statements)
