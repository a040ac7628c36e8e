"""GraphQL hardening (issue 9): limits, persisted queries, introspection/GraphiQL switches, body size.

Every limit is checked on a JSON POST and on a GET: both run the one pipeline (schema/execution.py),
so the answers are the same. Apps with other settings share the session's container (database, cache).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from tests.api import gql_codes
from yourmusic.app import create_app
from yourmusic.schema import build_schema
from yourmusic.schema.limits import QueryLimits
from yourmusic.schema.persisted import PersistedQueries, load_allowlist
from yourmusic.settings import Settings

DEEP = ('{ track(id: "1") { release { artist { releases { releases { tracks { tracks '
        '{ release { artist { releases { releases { id } } } } } } } } } } } }')
ALIASES = "{ " + " ".join(f"a{i}: heartbeat" for i in range(31)) + " }"
TOKENS = "{ " + "heartbeat " * 2001 + "}"
COSTLY = ('{ browseArtists(letter: "a", pageSize: 50) { artists { releases(pageSize: 50) '
          '{ releases { tracks(pageSize: 50) { tracks { id } } } } } } }')
HEARTBEAT = "{ heartbeat }"


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def pq(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}


async def both(http: httpx.AsyncClient, query: str, **kw: Any) -> list[httpx.Response]:
    """The same document as a JSON POST and as a GET."""
    return [await http.post("/graphql", json={"query": query}, **kw),
            await http.get("/graphql", params={"query": query}, **kw)]


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize("query,code", [
    (DEEP, "QUERY_TOO_DEEP"),
    (ALIASES, "TOO_MANY_ALIASES"),
    (TOKENS, "TOO_MANY_TOKENS"),
    (COSTLY, "QUERY_TOO_COSTLY"),
])
async def test_each_limit_trips_on_both_paths(api, tenant, query, code):
    answers = await both(api.http, query, headers=tenant.auth)
    for r in answers:
        assert r.status_code == 200  # as Strawberry answers any validation error on application/json
        body = r.json()
        assert body["data"] is None and code in gql_codes(body), body
    assert answers[0].json() == answers[1].json()


async def test_the_document_cache_keeps_the_verdict(app):
    """The one document cache: each document parsed and validated once, refused ones kept refused."""
    view = next(r.app for r in app.routes if getattr(r, "path", None) == "/graphql")
    documents = view.schema.documents
    for query in (DEEP, ALIASES, TOKENS, COSTLY):
        entry = await documents.parse(query)
        assert entry.error is not None or await documents.validate(entry), query
        assert await documents.parse(query) is entry and not documents.valid(query)
    assert await documents.validate(await documents.parse(HEARTBEAT)) == [] and documents.valid(HEARTBEAT)


async def test_the_document_cache_is_bounded_by_text_size(app):
    """Padded documents (valid, near the body limit) do not pin a document cache's worth of text: the
    cache keeps at most `max_chars` characters in all, dropping the least recently used."""
    from yourmusic.schema.execution import DocumentCache

    view = next(r.app for r in app.routes if getattr(r, "path", None) == "/graphql")
    documents = DocumentCache(view.schema.documents.schema, view.schema.documents.limits, max_chars=100_000)
    padded = [f"{{ heartbeat }}{' ' * 30_000}#{n}" for n in range(10)]
    for query in padded:
        assert (await documents.parse(query)).node is not None
    kept = [q for q in padded if documents._cached(q) is not None]
    assert kept == padded[-3:]  # 3 x 30 kB fit in 100 kB, the newest ones
    assert documents._chars == sum(map(len, kept)) <= documents.max_chars
    assert (await documents.parse("{ heartbeat }" + " " * 200_000)).node is not None  # over the whole budget:
    assert documents._chars == sum(map(len, kept))  # parsed, not kept


async def test_limits_are_settings(api, app_with, tenant):
    http = app_with(graphql_max_depth=2, graphql_max_aliases=1, graphql_max_cost=0, graphql_max_tokens=0)
    q = '{ track(id: "1") { release { title } } }'
    for r in await both(http, q, headers=tenant.auth):
        assert gql_codes(r.json()) == ["QUERY_TOO_DEEP"]
        assert r.json()["errors"][0]["extensions"]["maxDepth"] == 2
    for r in await both(http, "{ a: heartbeat b: heartbeat }"):
        assert gql_codes(r.json()) == ["TOO_MANY_ALIASES"]
    for r in await both(http, COSTLY.replace("pageSize: 50", "pageSize: 10") + " ", headers=tenant.auth):
        assert "QUERY_TOO_COSTLY" not in gql_codes(r.json())  # cost 0: off (depth still trips)
    for r in await both(http, "{ a: heartbeat }"):
        assert r.json()["data"]["a"] and "errors" not in r.json()


async def test_documents_within_the_limits_run(api, tenant):
    q = '{ track(id: "1") { id title release { title artist { name } } } }'
    for r in await both(api.http, q, headers=tenant.auth):
        assert r.json()["data"]["track"]["release"]["artist"]["name"] == "AC/DC"


def cost_of(query: str, variables: dict[str, Any] | None = None, **kw: Any) -> int:
    """The cost the pipeline computes: at validation, or for the operation with its coerced variables."""
    from graphql import get_variable_values

    limits = QueryLimits(max_cost=1, **kw)
    schema = build_schema(limits)._schema
    document = limits.parse(query)
    errors = limits.validate(schema, document)
    op = next(d for d in document.definitions if d.kind == "operation_definition")
    if not errors and limits.cost_uses_variables(schema, document, op):
        coerced = get_variable_values(schema, op.variable_definitions, variables or {})
        errors = limits.operation_cost(schema, document, op, coerced.coerced)
    costs = [e.extensions["cost"] for e in errors if e.extensions and e.extensions.get("code") == "QUERY_TOO_COSTLY"]
    assert len(costs) == 1, errors
    return costs[0]


@pytest.mark.parametrize("query,cost", [
    ("{ users(perPage: 100) { data { id email } } }", 1 + 100 * (1 + 2)),  # the page size reaches `data`
    ("{ users { data { id } } }", 1 + 15 * 2),  # the argument's default
    ('{ searchTracks(q: "x", pageSize: 50) { results { id usageTypes } } }', 1 + 50 * 3),  # scalar lists weigh 1
    ('{ tracks(ids: ["1", "2", "3"]) { id } }', 3 * 2),  # a literal id list
    ("{ myPlaylists { id } }", 10 * 2),  # GRAPHQL_LIST_WEIGHT
    ('{ browseArtists(letter: "a", pageSize: 20) { artists { releases(pageSize: 30) { releases { id } } } } }',
     1 + 20 * (1 + 1 + 30 * 2)),  # nested: multiplied
    ("{ myPlaylists { ...P } } fragment P on Playlist { id tracks(limit: 5) { id } }", 10 * (1 + 1 + 5 * 2)),
])
def test_cost_model(query, cost):
    assert cost_of(query) == cost


@pytest.mark.parametrize("query,variables,cost", [
    ("query($n: Int! = 40) { users(perPage: $n) { data { id } } }", {}, 1 + 40 * 2),  # none sent: the default
    ("query($n: Int! = 10) { users(perPage: $n) { data { id } } }", {"n": 50}, 1 + 50 * 2),  # sent: the value
    ("query($n: Int) { users(perPage: $n) { data { id } } }", {}, 1 + 15 * 2),  # nothing: the argument's default
    ("query($n: Int!) { users(perPage: $n) { data { id } } }", {"n": 70}, 1 + 70 * 2),
    ("query($ids: [ID!]!) { tracks(ids: $ids) { id } }", {"ids": ["1", "2", "3", "4"]}, 4 * 2),  # a list's length
    ("query($ids: [ID!]!) { tracks(ids: $ids) { id } }", {"ids": "7"}, 1 * 2),  # coerced to a one-item list
    ('query($n: Int! = 10) { searchReleases(q: "a", pageSize: $n) { results { tracks(pageSize: $n) { tracks { id } } } } }',
     {"n": 50}, 1 + 50 * (1 + 1 + 50 * 2)),  # issue 15's document: the values sent count, not the default
])
def test_cost_counts_the_variables_sent(query, variables, cost):
    assert cost_of(query, variables) == cost


def test_cost_of_alternatives_on_a_union_is_the_dearest():
    q = ("{ home { modules { __typename ... on TrackListModule { items { id title } } "
         "... on ArtistGridModule { items { id } } } } }")
    assert cost_of(q) == 1 + 10 * (1 + 10 * 3)


def test_introspection_and_graphiql_queries_pass_the_default_limits():
    limits = QueryLimits()
    schema = build_schema(limits)
    q = get_introspection_query(descriptions=True, input_value_deprecation=True)
    assert limits.validate(schema._schema, limits.parse(q)) == []


# --------------------------------------------------------------------------- introspection, GraphiQL


async def test_introspection_can_be_switched_off(app_with):
    http = app_with(graphql_introspection=False)
    for q in ("{ __schema { types { name } } }", '{ __type(name: "Query") { name } }'):
        for r in await both(http, q):
            assert r.json()["data"] is None and gql_codes(r.json()) == ["INTROSPECTION_DISABLED"]
    for r in await both(http, "{ __typename heartbeat }"):
        assert r.json()["data"]["__typename"] == "Query"


async def test_introspection_is_on_by_default(api):
    for r in await both(api.http, "{ __schema { queryType { name } } }"):
        assert r.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_graphiql_can_be_switched_off(api, app_with):
    r = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    http = app_with(graphiql=False)
    r = await http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.json() == {"message": "Not found.", "code": "NOT_FOUND"}
    r = await http.get("/graphql", params={"query": HEARTBEAT})
    assert "heartbeat" in r.json()["data"]


def test_production_profile_defaults(monkeypatch):
    for name in ("GRAPHQL_INTROSPECTION", "GRAPHIQL", "GRAPHQL_PERSISTED_QUERIES", "PROFILE"):
        monkeypatch.delenv(name, raising=False)
    default = Settings()
    assert (default.graphql_introspection, default.graphiql, default.graphql_persisted_queries) == (True, True, "apq")
    prod = Settings(profile="production")
    assert (prod.graphql_introspection, prod.graphiql, prod.graphql_persisted_queries) == (False, False, "allowlist")
    monkeypatch.setenv("PROFILE", "production")
    monkeypatch.setenv("GRAPHIQL", "true")
    monkeypatch.setenv("GRAPHQL_PERSISTED_QUERIES", "apq")
    explicit = Settings()
    assert (explicit.graphql_introspection, explicit.graphiql, explicit.graphql_persisted_queries) == (False, True, "apq")


def test_allowlist_mode_needs_its_file(settings):
    with pytest.raises(ValueError, match="PERSISTED_QUERIES_FILE"):
        create_app(settings.model_copy(update={"graphql_persisted_queries": "allowlist"}))
    with pytest.raises(ValueError, match="GRAPHQL_PERSISTED_QUERIES"):
        PersistedQueries("sometimes")


# --------------------------------------------------------------------------- automatic persisted queries


async def test_apq_flow_post_and_get(api, app, tenant):
    q = f'query Apq {{ track(id: "{len(tenant.slug)}") {{ id }} }} # {tenant.slug}'  # a document new to the cache
    ext = pq(q)
    # 1. the hash alone: not known yet, on POST and GET
    r = await api.http.post("/graphql", json={"extensions": ext}, headers=tenant.auth)
    assert r.status_code == 200
    assert r.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    r = await api.http.get("/graphql", params={"extensions": json.dumps(ext)}, headers=tenant.auth)
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    # 2. the query with its hash: checked, stored in the shared cache, run
    r = await api.http.post("/graphql", json={"query": q, "extensions": ext}, headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": str(len(tenant.slug))}}}
    entry = await app.state.container.cache.get_entry(f"apq:{sha(q)}")
    assert entry is not None and entry["v"] == q
    # 3. the hash alone now runs it, on POST and GET
    r = await api.http.post("/graphql", json={"extensions": ext, "operationName": "Apq"}, headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": str(len(tenant.slug))}}}
    r = await api.http.get("/graphql", params={"extensions": json.dumps(ext)}, headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": str(len(tenant.slug))}}}


async def test_apq_with_variables_via_get(api, tenant):
    q = f"query V($id: ID!) {{ track(id: $id) {{ id }} }} # {tenant.slug}"
    r = await api.http.post("/graphql", json={"query": q, "variables": {"id": "3"}, "extensions": pq(q)},
                            headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": "3"}}}
    r = await api.http.get("/graphql", params={"extensions": json.dumps(pq(q)), "variables": '{"id": "4"}'},
                           headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": "4"}}}


async def test_apq_hash_mismatch_and_bad_version(api):
    r = await api.http.post("/graphql", json={"query": "{ heartbeat }", "extensions": pq("{ other }")})
    assert r.status_code == 400 and gql_codes(r.json()) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    r = await api.http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}})
    assert r.status_code == 400


async def test_apq_does_not_store_invalid_documents(api, app, tenant):
    q = "{ nope " + tenant.slug.replace("-", "_") + " }"
    r = await api.http.post("/graphql", json={"query": q, "extensions": pq(q)})
    assert r.json()["errors"] and r.json()["data"] is None
    assert await app.state.container.cache.get_entry(f"apq:{sha(q)}") is None
    r = await api.http.post("/graphql", json={"query": ALIASES, "extensions": pq(ALIASES)})
    assert gql_codes(r.json()) == ["TOO_MANY_ALIASES"]  # the limits hold for persisted documents too
    r = await api.http.post("/graphql", json={"extensions": pq(ALIASES)})
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_persisted_queries_off(app_with):
    http = app_with(graphql_persisted_queries="off")
    r = await http.post("/graphql", json={"query": HEARTBEAT, "extensions": pq(HEARTBEAT)})
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    r = await http.post("/graphql", json={"query": HEARTBEAT})
    assert "heartbeat" in r.json()["data"]


# --------------------------------------------------------------------------- allow-list


@pytest.fixture
def allowlist_file(tmp_path):
    track = 'query T($id: ID!) { track(id: $id) { id } }'
    path = tmp_path / "persisted-queries.json"
    path.write_text(json.dumps({sha(HEARTBEAT): HEARTBEAT, sha(track): track}))
    return path, track


async def test_allowlist_mode(app_with, allowlist_file, tenant):
    path, track = allowlist_file
    http = app_with(graphql_persisted_queries="allowlist", persisted_queries_file=str(path))
    # listed documents run by hash (POST and GET) or in full
    r = await http.post("/graphql", json={"extensions": pq(HEARTBEAT)})
    assert "heartbeat" in r.json()["data"]
    r = await http.get("/graphql", params={"extensions": json.dumps(pq(track)), "variables": '{"id": "5"}'},
                       headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": "5"}}}
    r = await http.post("/graphql", json={"query": track, "variables": {"id": "6"}}, headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": "6"}}}
    # anything else is refused, however it comes
    for r in await both(http, "{ heartbeat __typename }"):
        assert r.json() == {"errors": [{"message": "Only persisted queries are allowed on this server.",
                                        "extensions": {"code": "PERSISTED_QUERY_NOT_ALLOWED"}}]}
    q = "{ __typename }"
    r = await http.post("/graphql", json={"query": q, "extensions": pq(q)})  # no registration either
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    r = await http.post("/graphql", json={"extensions": pq(q)})
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    r = await http.post("/graphql", data={"query": HEARTBEAT})  # form-encoded
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    r = await http.post("/graphql", json=[{"query": HEARTBEAT}])  # a batch
    assert gql_codes(r.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]


def test_allowlist_file_formats(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": sha(HEARTBEAT), "name": "Beat", "type": "query", "body": HEARTBEAT}]}))
    assert load_allowlist(manifest) == {sha(HEARTBEAT): HEARTBEAT}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"0" * 64: HEARTBEAT}))
    with pytest.raises(ValueError, match="not the sha256"):
        load_allowlist(wrong)


# --------------------------------------------------------------------------- request body size


async def test_oversized_bodies_are_413_on_rest_and_graphql(api, tenant):
    big = b'{"first_name": "' + b"x" * 1_048_576 + b'"}'
    for path in ("/api/users", "/graphql", "/api/oauth/token"):
        r = await api.http.post(path, content=big, headers={**tenant.auth, "content-type": "application/json"})
        assert r.status_code == 413, path
        assert r.json() == {"message": "The request body is too large (at most 1048576 bytes).",
                            "code": "PAYLOAD_TOO_LARGE"}


async def test_streamed_bodies_are_counted(app_with, tenant):
    http = app_with(max_body_bytes=1000)

    async def chunks(n: int) -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield b'{"query": "{ heartbeat }", "x": "'
        for _ in range(n):
            yield b"y" * 100
        yield b'"}'

    for path in ("/graphql", "/api/users", "/api/playlists", "/api/auth/otp/request"):
        r = await http.post(path, content=chunks(20), headers={**tenant.auth, "content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE", (path, r.text)
    r = await http.post("/graphql", content=chunks(5), headers={"content-type": "application/json"})
    assert r.status_code == 200 and "heartbeat" in r.json()["data"]  # under the limit: served
    r = await http.post("/graphql", data={"query": "x" * 2000})  # form bodies too (Strawberry's view)
    assert r.status_code == 413
    r = await http.get("/api/heartbeat")
    assert r.status_code == 200


async def test_a_huge_page_size_is_a_clean_error(api):
    """Found by schemathesis: a page size past 64 bits made the cost unserialisable (500)."""
    q = '{ searchPlaylists(keyword: "x", perPage: 163335427137335033856) { data { id } } }'
    for r in await both(api.http, q):
        assert r.status_code == 200 and r.json()["data"] is None and r.json()["errors"]


# --------------------------------------------------------------------------- found by schemathesis


async def test_other_methods_on_a_literal_path_are_405(api, tenant):
    user = await api.create_user(tenant)
    token = await api.udt(tenant, user["id"])
    r = await api.http.put("/api/playlists/search", json={}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED" and r.headers["allow"] == "GET"
    r = await api.http.get("/api/playlists/search", params={"keyword": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


async def test_a_deleted_users_token_cannot_create_a_playlist(api, tenant):
    user = await api.create_user(tenant)
    token = await api.udt(tenant, user["id"])
    assert (await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)).status_code == 204
    r = await api.http.post("/api/playlists", json={"playlist_name": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_openapi_documents_what_routes_answer(api):
    doc = (await api.http.get("/openapi.json")).json()
    get_playlist = doc["paths"]["/api/playlists/{playlist_id}"]["get"]["responses"]["200"]
    ref = get_playlist["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "tracks" not in doc["components"]["schemas"][ref].get("required", [])  # only with ?with=tracks
    patch_me = doc["paths"]["/api/me"]["patch"]
    assert patch_me["requestBody"]["required"] is False and "413" in patch_me["responses"]
    assert doc["paths"]["/api/users"]["post"]["requestBody"]["required"] is True
