"""Issue 14 §1 / 15: one pipeline for every /graphql request.

Each test walks a class: every kind of request (GET and POST, JSON with parameters, APQ and the
allow-list, refused bodies and batches, parse, validation and limit errors) sees the same Strawberry
extension hooks, metrics and access line; every way of naming an operation, every limit, every kind of
schema name that a suggestion could leak.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

import pytest
from graphql import parse
from prometheus_client import REGISTRY
from strawberry.extensions import SchemaExtension

from tests.api import bearer, gql_codes
from yourmusic.schema import build_schema
from yourmusic.schema.limits import QueryLimits

HEARTBEAT = "{ heartbeat }"


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def pq(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}


class Recorder(SchemaExtension):
    """Records which lifecycle hooks ran, per request, in `Recorder.runs`."""

    runs: list[list[str]] = []

    def on_operation(self):  # type: ignore[no-untyped-def]
        self.seen = ["operation"]
        Recorder.runs.append(self.seen)
        yield
        self.seen.append("operation-end")

    def on_parse(self):  # type: ignore[no-untyped-def]
        self.seen.append("parse")
        yield

    def on_validate(self):  # type: ignore[no-untyped-def]
        self.seen.append("validate")
        yield

    def on_execute(self):  # type: ignore[no-untyped-def]
        self.seen.append("execute")
        yield


ALL = ["operation", "parse", "validate", "execute", "operation-end"]
VALIDATED = ["operation", "parse", "validate", "operation-end"]
PARSED = ["operation", "parse", "operation-end"]
REFUSED = ["operation", "operation-end"]

JSON = {"content-type": "application/json"}


def _operations_total() -> float:
    return sum(s.value for m in REGISTRY.collect() if m.name == "yourmusic_graphql_operations"
               for s in m.samples if s.name == "yourmusic_graphql_operations_total")


def _post(body: Any, content_type: str = "application/json") -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"method": "POST", "content": raw, "headers": {"content-type": content_type}}


def _get(**params: Any) -> dict[str, Any]:
    return {"method": "GET", "params": {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}}


ALIASES = "{ " + " ".join(f"a{i}: heartbeat" for i in range(31)) + " }"
DEEP = ('{ track(id: "1") { release { artist { releases { releases { tracks { tracks '
        '{ release { artist { releases { releases { id } } } } } } } } } } } }')
REQUESTS = [
    # (name, request, status, hooks, code)
    ("POST json", _post({"query": HEARTBEAT}), 200, ALL, None),
    ("POST json charset", _post({"query": HEARTBEAT}, "application/json; charset=utf-8"), 200, ALL, None),
    ("POST json odd case", _post({"query": HEARTBEAT}, "Application/JSON ;charset=UTF-8"), 200, ALL, None),
    ("GET", _get(query=HEARTBEAT), 200, ALL, None),
    ("GET variables", _get(query="query($x: Boolean!) { heartbeat @include(if: $x) }", variables={"x": True}),
     200, ALL, None),
    ("POST operationName empty", _post({"query": HEARTBEAT, "operationName": ""}), 200, ALL, None),
    ("GET operationName empty", _get(query=HEARTBEAT, operationName=""), 200, ALL, None),
    ("APQ register", _post({"query": "query Pipe { heartbeat }", "extensions": pq("query Pipe { heartbeat }")}),
     200, ALL, None),
    ("APQ by hash", _post({"extensions": pq("query Pipe { heartbeat }")}), 200, ALL, None),
    ("APQ by hash GET", _get(extensions=pq("query Pipe { heartbeat }")), 200, ALL, None),
    ("APQ unknown hash", _post({"extensions": pq("query Unknown { heartbeat }")}), 200, REFUSED,
     "PERSISTED_QUERY_NOT_FOUND"),
    ("APQ hash mismatch", _post({"query": HEARTBEAT, "extensions": pq("{ other }")}), 400, REFUSED,
     "PERSISTED_QUERY_HASH_MISMATCH"),
    ("batch", _post([{"query": HEARTBEAT}]), 400, REFUSED, "BAD_REQUEST"),
    ("malformed JSON", _post(b"{not json"), 400, REFUSED, "BAD_REQUEST"),
    ("JSON not an object", _post(b"5"), 400, REFUSED, "BAD_REQUEST"),
    ("query not a string", _post({"query": 5}), 400, REFUSED, "BAD_REQUEST"),
    ("operationName not a string", _post({"query": HEARTBEAT, "operationName": 1}), 400, REFUSED, "BAD_REQUEST"),
    ("variables not an object", _post({"query": HEARTBEAT, "variables": [1]}), 400, REFUSED, "BAD_REQUEST"),
    ("bad GET variables", _get(query=HEARTBEAT, variables="{nope"), 400, REFUSED, "BAD_REQUEST"),
    ("no query", _post({"variables": {}}), 400, REFUSED, "BAD_REQUEST"),
    ("form body", _post(b"query=%7Bheartbeat%7D", "application/x-www-form-urlencoded"), 415, REFUSED,
     "UNSUPPORTED_MEDIA_TYPE"),
    ("no content type", _post(b'{"query": "{ heartbeat }"}', ""), 415, REFUSED, "UNSUPPORTED_MEDIA_TYPE"),
    ("parse error", _post({"query": "{ heartbeat"}), 200, PARSED, "GRAPHQL_PARSE_FAILED"),
    ("too many tokens", _get(query="{ " + "heartbeat " * 2001 + "}"), 200, PARSED, "TOO_MANY_TOKENS"),
    ("validation error", _post({"query": "{ nope }"}), 200, VALIDATED, "GRAPHQL_VALIDATION_FAILED"),
    ("too many aliases", _post({"query": ALIASES}), 200, VALIDATED, "TOO_MANY_ALIASES"),
    ("too deep", _get(query=DEEP), 200, VALIDATED, "QUERY_TOO_DEEP"),
    ("repeated fields", _post({"query": "{ " + "heartbeat " * 50 + "}"}), 200, VALIDATED, "TOO_MANY_REPEATED_FIELDS"),
    ("costly variables", _post({"query": "query($n: Int! = 1) { browseArtists(letter: \"a\", pageSize: $n) "
                                         "{ artists { releases(pageSize: $n) { releases { id } } } } }",
                                "variables": {"n": 500}}), 200, VALIDATED, "QUERY_TOO_COSTLY"),
    ("ambiguous operation", _post({"query": "query A { heartbeat } query B { heartbeat }"}), 400, VALIDATED,
     "OPERATION_RESOLUTION_FAILURE"),
    ("mutation over GET", _get(query='mutation { logout(refreshToken: "x") }'), 405, VALIDATED,
     "METHOD_NOT_ALLOWED"),
    ("unexpected error", _post({"query": "{ heartbeat }"}), 200, ALL, "INTERNAL_SERVER_ERROR"),
]


@pytest.mark.parametrize("name,request_,status,hooks,code", REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_every_request_runs_the_extensions_metrics_and_access_log(
        app_with, monkeypatch, caplog, name, request_, status, hooks, code):
    if name == "unexpected error":
        from yourmusic.resolvers import health

        monkeypatch.setattr(health, "heartbeat", lambda: 1 / 0)
    http = app_with(create={"schema_extensions": [Recorder]})
    Recorder.runs.clear()
    before = _operations_total()
    caplog.set_level(logging.INFO, logger="yourmusic.access")
    if name == "APQ by hash" or name == "APQ by hash GET":  # registered first (its own run is not counted)
        await http.post("/graphql", json={"query": "query Pipe { heartbeat }", "extensions": pq("query Pipe { heartbeat }")})
        Recorder.runs.clear()
        before = _operations_total()
        caplog.clear()
    r = await http.request(url="/graphql", **request_)
    assert r.status_code == status, r.text
    body = r.json()
    assert Recorder.runs == [hooks], Recorder.runs  # one run of the hooks, the steps the request reached
    assert _operations_total() == before + 1  # counted, whatever it carried
    access = [rec for rec in caplog.records if rec.name == "yourmusic.access"]
    assert len(access) == 1 and access[0].route == "/graphql" and access[0].status == status
    if code is None:
        assert body == {"data": {"heartbeat": body["data"]["heartbeat"]}}
    else:
        assert code in gql_codes(body), body
        assert all(e.get("extensions", {}).get("code") for e in body["errors"]), body  # every error has a code
        if hooks == REFUSED or status != 200:
            assert "data" not in body  # a request error: nothing ran
    if status == 405:
        assert r.headers["allow"] == "POST"


async def test_head_is_a_get(api):
    r = await api.http.head("/graphql", params={"query": HEARTBEAT})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    r = await api.http.head("/graphql", params={"query": 'mutation { logout(refreshToken: "x") }'})
    assert r.status_code == 405 and r.headers["allow"] == "POST"


async def test_the_allowlist_runs_through_the_pipeline_too(app_with, tmp_path):
    path = tmp_path / "persisted-queries.json"
    path.write_text(json.dumps({sha(HEARTBEAT): HEARTBEAT}))
    http = app_with(graphql_persisted_queries="allowlist", persisted_queries_file=str(path),
                    create={"schema_extensions": [Recorder]})
    cases = [
        (_post({"extensions": pq(HEARTBEAT)}), 200, ALL, None),
        (_get(extensions=pq(HEARTBEAT)), 200, ALL, None),
        (_post({"query": HEARTBEAT}), 200, ALL, None),
        (_post({"query": "{ __typename }"}), 200, REFUSED, "PERSISTED_QUERY_NOT_ALLOWED"),
        (_get(query="{ __typename }"), 200, REFUSED, "PERSISTED_QUERY_NOT_ALLOWED"),
        (_post([{"query": HEARTBEAT}]), 200, REFUSED, "PERSISTED_QUERY_NOT_ALLOWED"),
        (_post(b"query=x", "application/x-www-form-urlencoded"), 200, REFUSED, "PERSISTED_QUERY_NOT_ALLOWED"),
        (_post({"extensions": pq("{ other }")}), 200, REFUSED, "PERSISTED_QUERY_NOT_FOUND"),
    ]
    for request_, status, hooks, code in cases:
        Recorder.runs.clear()
        before = _operations_total()
        r = await http.request(url="/graphql", **request_)
        assert r.status_code == status and Recorder.runs == [hooks], (request_, r.text, Recorder.runs)
        assert _operations_total() == before + 1
        assert (code is None and "errors" not in r.json()) or gql_codes(r.json()) == [code]


# --------------------------------------------------------------------------- operation selection (issue 15.3)


async def _user_with_playlist(api: Any, tenant: Any) -> tuple[dict[str, str], str]:
    user = await api.create_user(tenant)
    auth = bearer(await api.udt(tenant, user["id"]))
    r = await api.http.post("/api/playlists", json={"playlist_name": "keep me"}, headers=auth)
    assert r.status_code == 201, r.text
    return auth, str(r.json()["id"])


async def test_several_operations_need_an_operation_name_on_every_way_in(api, tenant):
    auth, playlist = await _user_with_playlist(api, tenant)
    doc = f'mutation M {{ deletePlaylist(id: "{playlist}") }} query Q {{ heartbeat }}'
    ways = [
        ("POST", {"json": {"query": doc}}),
        ("POST", {"json": {"query": doc, "operationName": None}}),
        ("POST", {"json": {"query": doc, "operationName": ""}}),
        ("POST", {"json": {"query": doc, "extensions": pq(doc)}}),  # APQ: registered, never run
        ("POST", {"json": {"extensions": pq(doc)}}),
        ("POST", {"json": {"extensions": pq(doc), "operationName": ""}}),
        ("GET", {"params": {"query": doc}}),
        ("GET", {"params": {"query": doc, "operationName": ""}}),
        ("GET", {"params": {"extensions": json.dumps(pq(doc))}}),
    ]
    for method, kw in ways:
        r = await api.http.request(method, "/graphql", headers=auth, **kw)
        assert r.status_code == 400, (method, kw, r.text)
        assert r.json() == {"errors": [{
            "message": "Must provide operation name if query contains multiple operations.",
            "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"}}]}
    r = await api.http.get(f"/api/playlists/{playlist}", headers=auth)
    assert r.status_code == 200  # nothing ran: the playlist is still there
    # named, each runs the one it names; an unknown name is the same request error
    r = await api.http.post("/graphql", json={"query": doc, "operationName": "Q"}, headers=auth)
    assert r.json() == {"data": {"heartbeat": r.json()["data"]["heartbeat"]}}
    for method, kw in (("POST", {"json": {"query": doc, "operationName": "X"}}),
                       ("GET", {"params": {"query": doc, "operationName": "X"}})):
        r = await api.http.request(method, "/graphql", headers=auth, **kw)
        assert r.status_code == 400 and r.json()["errors"][0]["message"] == "Unknown operation named 'X'."


async def test_a_mutation_over_get_is_405_whatever_names_it(api, tenant):
    auth, playlist = await _user_with_playlist(api, tenant)
    mutation = f'mutation M {{ deletePlaylist(id: "{playlist}") }}'
    both = f"{mutation} query Q {{ heartbeat }}"
    await api.http.post("/graphql", json={"query": "query Q { heartbeat }", "extensions": pq(mutation)})  # mismatch
    for params in ({"query": mutation}, {"query": mutation, "operationName": "M"},
                   {"query": both, "operationName": "M"}, {"query": mutation.replace("mutation M", "mutation")}):
        r = await api.http.get("/graphql", params=params, headers=auth)
        assert r.status_code == 405 and r.headers["allow"] == "POST", (params, r.text)
        assert gql_codes(r.json()) == ["METHOD_NOT_ALLOWED"] and "data" not in r.json()
    r = await api.http.get("/graphql", params={"query": both, "operationName": "Q"}, headers=auth)
    assert r.status_code == 200 and r.json()["data"]["heartbeat"]  # the query of that document runs
    assert (await api.http.get(f"/api/playlists/{playlist}", headers=auth)).status_code == 200


# --------------------------------------------------------------------------- limits (issue 15.4)

COSTLY_VARS = ('query($n: Int! = 10) { searchReleases(q: "a", pageSize: $n) '
               '{ results { tracks(pageSize: $n) { tracks { id title } } } } }')


async def test_cost_uses_the_variables_sent_on_every_way_in(api, tenant):
    literal = COSTLY_VARS.replace("($n: Int! = 10)", "").replace("$n", "50")
    ways = [
        ("POST", {"json": {"query": literal}}),
        ("POST", {"json": {"query": COSTLY_VARS, "variables": {"n": 50}}}),
        ("POST", {"json": {"query": COSTLY_VARS, "variables": {"n": 50}, "extensions": pq(COSTLY_VARS)}}),
        ("POST", {"json": {"extensions": pq(COSTLY_VARS), "variables": {"n": 50}}}),
        ("GET", {"params": {"query": COSTLY_VARS, "variables": json.dumps({"n": 50})}}),
    ]
    for method, kw in ways:
        r = await api.http.request(method, "/graphql", headers=tenant.auth, **kw)
        assert r.status_code == 200 and r.json()["data"] is None, (kw, r.text)
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY" and error["extensions"]["cost"] > 5000, error
    r = await api.http.post("/graphql", json={"query": COSTLY_VARS, "variables": {"n": 10}}, headers=tenant.auth)
    assert "errors" not in r.json() and r.json()["data"]["searchReleases"]  # small values run


HOSTILE = {
    "repeated scalar": "{ " + "heartbeat " * 1990 + "}",
    "repeated with selections": "{ " + 'track(id: "1") { id } ' * 180 + "}",
    "repeated unknown field": "{ " + "nope " * 1990 + "}",
    "repeated through fragments": "{ ...A ...B } fragment A on Query { " + "heartbeat " * 900 + "} "
                                  "fragment B on Query { " + "heartbeat " * 900 + "}",
    "repeated through inline fragments": "{ " + "... on Query { heartbeat } " * 300 + "}",
    "many fragments": "{ " + " ".join(f"...F{i}" for i in range(150)) + " } " +
                      " ".join(f"fragment F{i} on Query {{ heartbeat }}" for i in range(150)),
    "repeated nested": "{ me { " + "playlists { id } " * 300 + "} }",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_validation_work_is_bounded(name):
    """Documents under the token limit that made validation quadratic are refused, with a code, fast."""
    limits = QueryLimits()
    schema = build_schema(limits)._schema
    document = limits.parse(HOSTILE[name])
    started = time.process_time()
    errors = limits.validate(schema, document)
    spent = time.process_time() - started
    assert errors and all((e.extensions or {}).get("code") for e in errors), errors
    assert spent < 0.05, f"{name}: {spent * 1000:.0f} ms of CPU in validation"


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_documents_are_answered_with_a_code(api, name):
    for r in (await api.http.post("/graphql", json={"query": HOSTILE[name]}),
              await api.http.get("/graphql", params={"query": HOSTILE[name]})):
        assert r.status_code == 200 and r.json()["data"] is None
        assert all(e["extensions"]["code"] for e in r.json()["errors"]) and "Validation aborted" not in r.text


async def test_a_refused_document_answers_the_same_from_the_cache(app_with):
    """The cache keeps a refused document's errors (not its syntax tree): the second answer is the first."""
    http = app_with()
    for query in ('{ track(id: "1") { nope } }', DEEP, ALIASES, "{ heartbeat"):
        first = await http.post("/graphql", json={"query": query})
        second = await http.post("/graphql", json={"query": query})
        assert first.status_code == second.status_code == 200 and first.json() == second.json(), query
        assert first.json()["data"] is None and first.json()["errors"]


def test_a_few_repeated_fields_stay_valid():
    limits = QueryLimits()
    schema = build_schema(limits)._schema
    q = "{ me { id ...A ...B } } fragment A on User { id email } fragment B on User { id email }"
    assert limits.validate(schema, parse(q)) == []


# --------------------------------------------------------------------------- suggestions (issue 15.8)

LEAKS = [
    ("field", {"query": '{ usr(id: "1") { id } }'}),
    ("argument", {"query": '{ user(idd: "1") { id } }'}),
    ("type", {"query": "{ ...F } fragment F on Quer { heartbeat }"}),
    ("enum literal", {"query": 'mutation { reportPlay(input: {streamId: "1", totalTimePlayed: 1, playMode: ONLIN, '
                               'playedAt: "x"}) { id } }'}),
    ("input field literal", {"query": 'mutation { createPlaylist(input: {nam: "x"}) { id } }'}),
    ("input field variable", {"query": "mutation($i: CreatePlaylistInput!) { createPlaylist(input: $i) { id } }",
                              "variables": {"i": {"nam": "x"}}}),
    ("enum variable", {"query": "mutation($i: ReportPlayInput!) { reportPlay(input: $i) { id } }",
                       "variables": {"i": {"streamId": "1", "totalTimePlayed": 1, "playMode": "ONLIN",
                                           "playedAt": "x"}}}),
]


@pytest.mark.parametrize("kind,body", LEAKS, ids=[k for k, _ in LEAKS])
async def test_no_suggestions_when_introspection_is_off(app_with, kind, body):
    on, off = app_with(), app_with(graphql_introspection=False)
    params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    answers = {"on": await on.post("/graphql", json=body), "off": await off.post("/graphql", json=body)}
    if kind in ("field", "argument", "type"):  # GET carries queries only
        answers["off GET"] = await off.get("/graphql", params=params)
    assert "Did you mean" in answers["on"].text, answers["on"].text  # the test can fail
    for key in ("off", "off GET"):
        if key in answers:
            r = answers[key]
            assert r.json()["errors"] and "Did you mean" not in r.text, (key, r.text)
