"""Every input of every operation, walked with what databases disagree on (issue 15, class 1).

PostgreSQL is the reference database: a text with a NUL character, a string longer than its column,
an integer past its column's type or a date-time that overflows when converted to UTC is refused by
PostgreSQL at the last moment (a 500) and often stored by SQLite. Our own input types must refuse them
first, the same way on both. These tests take the inputs from the route table and the GraphQL schema
(not from a hand-written list), so a new operation or argument is walked as soon as it exists:

- REST: each operation's documented request example (from /openapi.json) is the base body; every leaf
  of it, every query parameter and every path parameter is replaced, one at a time, by each hostile
  value of its kind. Path parameters not under test point at real rows of the caller's tenant.
- GraphQL: every argument (and every field of an input object) of every root field, one at a time.

The checks: never a 5xx (GraphQL: never INTERNAL_SERVER_ERROR or SERVICE_UNAVAILABLE), and a refused
request (4xx, or a GraphQL error) leaves every table exactly as it was. Text with a NUL character is
never accepted.
"""

from __future__ import annotations

import functools
import json
from copy import deepcopy
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from tortoise import Tortoise

import pytest_asyncio

from tests.api import Api, bearer
from yourmusic.models import User
from yourmusic.models.users import UserStatus
from yourmusic.rest_compat.openapi import build_openapi
from yourmusic.rest_compat.routes import OPERATIONS

pytestmark = pytest.mark.usefixtures("upstream", "streams")

NUL_TEXTS = ("A\u0000B", "\u0000")
LONG_TEXT = "x" * 5000
INTEGERS = (2**31, 2**63, -(2**63) - 1, 10**30)
DATE_TIMES = ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "10000-01-01T00:00:00Z")
PATH_VALUES = ("a\u0000b", "x" * 300, str(2**63), "-1", "%", "..", "9" * 40)
QUERY_VALUES = ("a\u0000b", "x" * 3000, str(2**63), str(-(2**63) - 1), "1e400", "-0", "\u00e9\u00f8")

SERVER_ERROR_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}


# --------------------------------------------------------------------------- the database's fingerprint


async def fingerprint() -> dict[str, str]:
    """Every table's rows, hashed: {table: sha256 of its rows in primary-key order}."""
    out: dict[str, str] = {}
    for app in Tortoise.apps.values():
        for name, model in sorted(app.items()):
            rows = await model.all().order_by(model._meta.pk_attr).values()
            out[name] = hashlib.sha256(orjson.dumps(rows, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return out


# --------------------------------------------------------------------------- hostile values by kind


def hostile_for(value: Any) -> Iterator[tuple[str, Any]]:
    """(label, hostile value) pairs of the same JSON kind as `value`."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        for number in INTEGERS:
            yield f"int {number}", number
        return
    if isinstance(value, str):
        for text in NUL_TEXTS:
            yield f"NUL {text!r}", text
        yield "long text", LONG_TEXT
        if _looks_like_datetime(value):
            for stamp in DATE_TIMES:
                yield f"date-time {stamp}", stamp
        elif value.isdigit():
            yield "numeric text past int64", str(2**63)


def _looks_like_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value or len(value) == 10


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every scalar leaf of a JSON value with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A deep copy of `value` with the leaf at `path` replaced."""
    if not path:
        return new
    copy = deepcopy(value)
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


# --------------------------------------------------------------------------- the world the requests act on


@pytest_asyncio.fixture(scope="module")
async def w(http: Any) -> dict[str, Any]:
    """Real rows for every path parameter: a user, a playlist with one entry, a product, a stream.

    Made once for the module: every request below is refused without a change (or, where a hostile
    value is acceptable, changes only what it names), so the rows stay usable."""
    api = Api(http)
    tenant = await api.new_tenant()
    user = await api.create_user(tenant)
    await User.filter(id=user["id"]).update(status=UserStatus.SUBSCRIBED,
                                            subscription_ends_at=datetime.now(UTC) + timedelta(days=30))
    udt = await api.udt(tenant, user["id"])
    r = await http.post("/api/playlists", json={"playlist_name": "Walk", "public": True}, headers=bearer(udt))
    assert r.status_code == 201, r.text
    playlist = r.json()
    r = await http.post(f"/api/playlists/{playlist['id']}/tracks", json={"track_id": "2"}, headers=bearer(udt))
    assert r.status_code in (200, 201), r.text
    entries = (await http.get(f"/api/playlists/{playlist['id']}/tracks", headers=bearer(udt))).json()
    entry = entries["data"][0] if isinstance(entries, dict) else entries[0]
    r = await http.post("/api/products", json={"slug": "walk", "name": "Walk", "stripe_price_id": "price_walk"},
                        headers=tenant.auth)
    assert r.status_code == 201, r.text
    track = (await http.get("/api/tracks/2", headers=bearer(udt))).json()
    stream_id = track.get("streamId") or (track.get("track") or {}).get("streamId")
    return {
        "path": {"user_id": user["id"], "playlist_id": playlist["id"], "playlistTrackId": entry["id"],
                 "product": "walk", "artist_id": "1", "release_id": "1", "track_id": "2",
                 "stream_id": stream_id},
        "tokens": {"OAuth2": tenant.auth, "UDT": bearer(udt)},
        "tenant": tenant.slug,
    }


def _headers(op: Any, w: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for scheme in op.auth:
        headers.update(w["tokens"].get(scheme, {}))
        break
    if "X-Tenant" in op.headers:
        headers["X-Tenant"] = w["tenant"]
    return headers


def _path(op: Any, w: dict[str, Any], override: tuple[str, str] | None = None) -> str:
    path = op.path
    for name, value in w["path"].items():
        if override and override[0] == name:
            value = override[1]
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def _example(openapi: dict[str, Any], op: Any, method: str) -> Any:
    body = openapi["paths"][op.path][method.lower()].get("requestBody")
    if not body:
        return None
    content = body["content"].get("application/json")
    return None if content is None else content.get("example")


@functools.cache
def _openapi() -> dict[str, Any]:
    return build_openapi(OPERATIONS)


def rest_cases() -> Iterator[Any]:
    """One pytest param per (operation, input, hostile value), from the route table."""
    openapi = _openapi()
    for op in OPERATIONS:
        for method in op.methods:
            spec = openapi["paths"].get(op.path, {}).get(method.lower())
            if spec is None:
                continue
            example = _example(openapi, op, method)
            for leaf, value in leaves(example) if example is not None else ():
                for label, bad in hostile_for(value):
                    yield pytest.param(op, method, ("body", leaf, bad),
                                       id=f"{method} {op.path} body.{'.'.join(map(str, leaf))} {label}")
            for param in spec.get("parameters", []):
                if "$ref" in param:  # a shared parameter (#/components/parameters/...)
                    param = openapi["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
                where, name = param["in"], param["name"]
                if where not in ("path", "query"):
                    continue
                values = PATH_VALUES if where == "path" else QUERY_VALUES
                for bad in values:
                    yield pytest.param(op, method, (where, name, bad),
                                       id=f"{method} {op.path} {where}.{name} {bad[:12]!r}")


@pytest.mark.parametrize(("op", "method", "case"), list(rest_cases()))
async def test_rest_inputs_never_fail_the_server(http, w, op, method, case):
    openapi = _openapi()
    where, name, bad = case
    body = _example(openapi, op, method)
    query: dict[str, str] = {}
    path = _path(op, w)
    if where == "body":
        body = replaced(body, name, bad)
    elif where == "query":
        query[name] = bad
    else:
        path = _path(op, w, (name, bad))
    before = await fingerprint()
    content = None if body is None else json.dumps(body).encode()  # orjson stops at 64-bit integers
    headers = {**_headers(op, w), **({"content-type": "application/json"} if content is not None else {})}
    r = await http.request(method, path, params=query, content=content, headers=headers)
    assert r.status_code < 500, f"{r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
        assert await fingerprint() == before, "a refused request changed the database"
    if where == "body" and isinstance(bad, str) and "\u0000" in bad:
        assert r.status_code >= 400, f"a NUL character was accepted: {r.status_code} {r.text[:300]}"


# --------------------------------------------------------------------------- GraphQL: every argument

INTROSPECT = """{ __schema { queryType { name } mutationType { name } types { name kind
  fields { name args { name type { ...T } } }
  inputFields { name type { ...T } } enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""


def _named(t: dict[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    """(named type, required, is list)."""
    required = t["kind"] == "NON_NULL"
    if required:
        t = t["ofType"]
    is_list = t["kind"] == "LIST"
    while t.get("ofType"):
        t = t["ofType"]
    return t, required, is_list


def _type_ref(t: dict[str, Any]) -> str:
    if t["kind"] == "NON_NULL":
        return _type_ref(t["ofType"]) + "!"
    if t["kind"] == "LIST":
        return "[" + _type_ref(t["ofType"]) + "]"
    return t["name"]


class GraphQLWalk:
    """Builds a valid-looking value for every argument type, and the hostile variants of each leaf."""

    def __init__(self, schema: dict[str, Any], w: dict[str, Any]) -> None:
        self.types = {t["name"]: t for t in schema["types"]}
        self.w = w

    def sample(self, t: dict[str, Any], name: str) -> Any:
        named, _, is_list = _named(t)
        value = self._scalar_or_input(named, name)
        return [value] if is_list else value

    def _scalar_or_input(self, named: dict[str, Any], name: str) -> Any:
        kind, type_name = named["kind"], named["name"]
        if kind == "INPUT_OBJECT":
            out = {}
            for f in self.types[type_name]["inputFields"]:
                if _named(f["type"])[1]:
                    out[f["name"]] = self.sample(f["type"], f["name"])
            return out
        if kind == "ENUM":
            return self.types[type_name]["enumValues"][0]["name"]
        if type_name == "Int":
            return 1
        if type_name == "Float":
            return 1.0
        if type_name == "Boolean":
            return True
        lowered = name.lower()
        for key, value in self.w["path"].items():
            if lowered == key.lower().replace("_", "") or lowered == key.lower():
                return str(value)
        if lowered in ("id", "playlistid"):
            return str(self.w["path"]["playlist_id"])
        if lowered.endswith("at") or "date" in lowered:
            return "2025-11-01T09:37:15+00:00" if lowered.endswith("at") else "1990-01-15"
        if "email" in lowered:
            return "walk@example.com"
        if "url" in lowered:
            return "https://example.com/done"
        return "1"


def graphql_cases() -> Iterator[Any]:
    """Placeholders: the schema is read at run time (one test per root field and per hostile kind)."""
    from yourmusic.schema import build_schema

    schema = build_schema()._schema  # graphql-core's view: the names clients use
    for root in (schema.query_type, schema.mutation_type):
        for name, field in root.fields.items():
            if field.args:
                yield pytest.param(root.name, name, id=f"{root.name}.{name}")


@pytest.mark.parametrize(("root", "field_name"), list(graphql_cases()))
async def test_graphql_arguments_never_fail_the_server(http, w, root, field_name):
    introspected = (await http.post("/graphql", json={"query": INTROSPECT})).json()["data"]["__schema"]
    walk = GraphQLWalk(introspected, w)
    field = next(f for f in walk.types[root]["fields"] if f["name"] == field_name)
    args = {a["name"]: walk.sample(a["type"], a["name"]) for a in field["args"]}
    declared = ", ".join(f"${a['name']}: {_type_ref(a['type'])}" for a in field["args"])
    passed = ", ".join(f"{a['name']}: ${a['name']}" for a in field["args"])
    selection = await _selection(http, root, field_name)
    operation = "mutation" if root == "Mutation" else "query"
    document = f"{operation} Walk({declared}) {{ {field_name}({passed}) {selection} }}"
    tokens = [w["tokens"]["UDT"], w["tokens"]["OAuth2"]]
    for path, value in leaves(args):
        for label, bad in hostile_for(value):
            variables = replaced(args, path, bad)
            for headers in tokens:
                before = await fingerprint()
                r = await http.post("/graphql", content=json.dumps({"query": document, "variables": variables}),
                                    headers={**headers, "content-type": "application/json"})
                assert r.status_code < 500, f"{label} at {path}: {r.status_code} {r.text[:300]}"
                result = r.json()
                codes = {(e.get("extensions") or {}).get("code") for e in result.get("errors") or []}
                assert not codes & SERVER_ERROR_CODES, f"{label} at {path}: {result}"
                if result.get("errors"):
                    assert await fingerprint() == before, f"{label} at {path}: a refused request changed the database"
                elif isinstance(bad, str) and "\u0000" in bad:
                    pytest.fail(f"a NUL character was accepted at {path}: {result}")


async def _selection(http: Any, root: str, field_name: str) -> str:
    """`{ __typename }` for an object result, nothing for a scalar one."""
    query = f'{{ __type(name: "{root}") {{ fields {{ name type {{ kind ofType {{ kind ofType {{ kind }} }} }} }} }} }}'
    fields = (await http.post("/graphql", json={"query": query})).json()["data"]["__type"]["fields"]
    t = next(f for f in fields if f["name"] == field_name)["type"]
    while t.get("ofType") and t["kind"] in ("NON_NULL", "LIST"):
        t = t["ofType"]
    return "{ __typename }" if t["kind"] in ("OBJECT", "INTERFACE", "UNION") else ""
