"""/graphql over HTTP: one pipeline, so a JSON POST and a GET of the same document answer the same.

(Before issue 14 a JSON POST of a known document ran on a fast path beside Strawberry's view; these
tests compared the two. They now check the one pipeline's answers on both methods.)"""

from __future__ import annotations

import pytest

from yourmusic.resolvers import health

CATALOG = '{ track(id: "1") { id title release { title artist { name } } } }'


async def test_post_and_get_answer_the_same(api, tenant):
    fast = await api.http.post("/graphql", json={"query": CATALOG}, headers=tenant.auth)
    slow = await api.http.get("/graphql", params={"query": CATALOG}, headers=tenant.auth)
    assert fast.status_code == slow.status_code == 200
    assert fast.json() == slow.json() and fast.json()["data"]["track"]["release"]["artist"]["name"] == "AC/DC"


async def test_errors_match_on_post_and_get(api):
    q = '{ track(id: "1") { title } }'  # no token: UNAUTHENTICATED
    fast = (await api.http.post("/graphql", json={"query": q})).json()
    slow = (await api.http.get("/graphql", params={"query": q})).json()
    assert fast == slow and fast["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_variables_and_operation_name(api, tenant):
    doc = "query A($id: ID!){ track(id: $id){ id } } query B { heartbeat }"
    r = await api.http.post("/graphql", json={"query": doc, "variables": {"id": "2"}, "operationName": "A"},
                            headers=tenant.auth)
    assert r.json() == {"data": {"track": {"id": "2"}}}
    r = await api.http.post("/graphql", json={"query": doc, "operationName": "B"})
    assert "heartbeat" in r.json()["data"]
    r = await api.http.post("/graphql", json={"query": doc})  # ambiguous: a request error (was: the first ran)
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


async def test_unexpected_errors_are_masked(api, monkeypatch, caplog):
    def broken():
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(health, "heartbeat", broken)
    r = await api.http.post("/graphql", json={"query": "{ heartbeat }"})
    assert r.status_code == 200
    body = r.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Internal server error." and body["errors"][0]["path"] == ["heartbeat"]
    assert "secret" not in r.text
    assert any("unhandled error" in rec.message for rec in caplog.records)


@pytest.mark.parametrize("body,content_type,status,code", [
    (b"{not json", "application/json", 400, "BAD_REQUEST"),
    (b'[{"query": "{ heartbeat }"}]', "application/json", 400, "BAD_REQUEST"),
    (b'{"query": "{ nope }"}', "application/json", 200, "GRAPHQL_VALIDATION_FAILED"),
    (b'{"query": "{ heartbeat", "variables": null}', "application/json", 200, "GRAPHQL_PARSE_FAILED"),
    (b'{"query": 5}', "application/json", 400, "BAD_REQUEST"),
    (b"query=%7Bheartbeat%7D", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
])
async def test_refused_requests_answer_json_with_a_code(api, body, content_type, status, code):
    """(Was: "everything else is Strawberry's", plain-text 400s.) Every refusal is JSON with a code."""
    r = await api.http.post("/graphql", content=body, headers={"content-type": content_type})
    assert r.status_code == status and r.json()["errors"][0]["extensions"]["code"] == code, r.text
    assert ("data" in r.json()) == (status == 200)  # request errors carry no data
    assert "Traceback" not in r.text


def _db_down():
    from tortoise.exceptions import DBConnectionError

    raise DBConnectionError("connection to 10.0.0.5:5432 refused")


def _bug():
    raise RuntimeError("SELECT secret FROM internals")


@pytest.mark.parametrize("transport", ["post", "get"])
@pytest.mark.parametrize("failure,code,leak", [(_db_down, "SERVICE_UNAVAILABLE", "10.0.0.5"),
                                               (_bug, "INTERNAL_SERVER_ERROR", "secret")])
async def test_unexpected_errors_on_post_and_get(api, monkeypatch, transport, failure, code, leak):
    """POST and GET: a database outage keeps its meaning (REST's 503 code), a bug is a bare internal
    error; neither shows its text."""
    monkeypatch.setattr(health, "heartbeat", failure)
    if transport == "post":
        r = await api.http.post("/graphql", json={"query": "{ heartbeat }"})
    else:
        r = await api.http.get("/graphql", params={"query": "{ heartbeat }"})
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == code and leak not in r.text
