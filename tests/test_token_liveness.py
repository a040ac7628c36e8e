"""Authentication edges (issue 15 class 6).

- A deleted user's tokens (UDT or session access token) are refused on every user-token operation, REST
  and GraphQL, at once on this instance: the user is checked where the token is resolved (Context), from
  the shared cache, so a warm request reads no database row for it.
- Refresh-token reuse interval: presenting a spent refresh token again within
  SESSION_REFRESH_REUSE_INTERVAL seconds (a retry after a lost answer, two concurrent refreshes) yields a
  working session of the same family; after it, reuse revokes the family.
"""

from __future__ import annotations

import asyncio
import functools
import re
import uuid

import pytest
from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType,
                     GraphQLSchema, Undefined, get_named_type)

from tests.api import Passwordless, bearer, gql_codes, spent_long_ago
from tests.dbstate import row_counts
from yourmusic.models import RefreshFamily
from yourmusic.rest_compat.routes import OPERATIONS
from yourmusic.schema import build_schema
from yourmusic.schema.limits import QueryLimits
from yourmusic.settings import Settings

# --------------------------------------------------------------------------- deleted users: REST

USER_OPERATIONS = [(m, op) for op in OPERATIONS if "UDT" in op.auth for m in op.methods]
PATH_VALUES = {"artist_id": "1", "release_id": "1", "track_id": "1", "stream_id": "1"}
QUERY = {"q": "rock", "keyword": "x", "letter": "a", "releaseids": "1", "trackids": "1"}


def _rest_request(op, playlist_id: str, playlist_track_id: str) -> tuple[str, dict]:
    values = {**PATH_VALUES, "playlist_id": playlist_id, "playlistTrackId": playlist_track_id}
    path = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], op.path)
    params = {k: v for k, v in QUERY.items() if op.query is not None and k in op.query.model_fields}
    return path, params


async def _deleted_user_tokens(api, tenant, signin: Passwordless | None = None) -> dict[str, str]:
    """A user with a playlist, its UDT (and session) used once (so "live" is cached), then deleted."""
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    tokens = {"udt": udt}
    if signin is not None:
        tokens["session"] = (await signin.session(tenant.slug, user["email"]))["access_token"]
    for token in tokens.values():
        assert (await api.http.get("/api/playlists", headers=bearer(token))).status_code == 200
    r = await api.http.post("/api/playlists", json={"playlist_name": "mine", "public": True}, headers=bearer(udt))
    assert r.status_code == 201
    tokens["playlist"] = r.json()["id"]
    assert (await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)).status_code == 204
    return tokens


@pytest.mark.parametrize("method,op", USER_OPERATIONS, ids=[f"{m} {op.path}" for m, op in USER_OPERATIONS])
async def test_every_user_operation_refuses_a_deleted_users_udt(api, tenant, upstream, method, op):
    # Another user's public playlist and track: what a deleted user's token could still have reached.
    other = await api.create_user(tenant)
    other_udt = await api.udt(tenant, other["id"])
    playlist = (await api.http.post("/api/playlists", json={"playlist_name": "theirs", "public": True},
                                    headers=bearer(other_udt))).json()
    added = await api.http.post(f"/api/playlists/{playlist['id']}/tracks", json={"track_id": "1"},
                                headers=bearer(other_udt))
    assert added.status_code == 201, added.text
    tokens = await _deleted_user_tokens(api, tenant)
    path, params = _rest_request(op, playlist["id"], added.json()["id"])
    body = {"json": {"track_id": "2", "playlist_name": "x", "tracks": [], "order": 1, "trackId": "1"}} \
        if op.body is not None else {}
    before = await row_counts()
    r = await api.http.request(method, path, params=params, headers=bearer(tokens["udt"]), **body)
    assert r.status_code == 401, r.text
    assert r.json() == {"message": "The access token is invalid or expired.", "code": "INVALID_AUTH_TOKEN"}
    assert r.headers["www-authenticate"] == 'Bearer realm="yourmusic", error="invalid_token"'
    assert await row_counts() == before
    # The same request with a live user's token gets past authentication (the walk reaches the check).
    r = await api.http.request(method, path, params=params, headers=bearer(other_udt), **body)
    assert r.status_code != 401, r.text


async def test_a_deleted_users_session_token_dies_at_once(api, tenant, signin: Passwordless):
    tokens = await _deleted_user_tokens(api, tenant, signin)
    for kind in ("udt", "session"):
        for path in ("/api/me", "/api/playlists", "/api/playlists/search?keyword=mine", "/api/home",
                     "/api/tracks/1"):
            r = await api.http.get(path, headers=bearer(tokens[kind]))
            assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN", (kind, path, r.text)


async def test_plays_of_a_deleted_user_are_401_not_422(api, tenant):
    tokens = await _deleted_user_tokens(api, tenant)
    before = await row_counts()
    r = await api.http.post("/api/plays", json={"track_id": "1"}, headers=bearer(tokens["udt"]))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    assert await row_counts() == before


async def test_the_check_is_a_cache_hit_when_warm(api, tenant, app, monkeypatch):
    """One cache read per request; the database is read for the user only on a miss."""
    from yourmusic.services import sessions

    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    assert (await api.http.get("/api/me", headers=bearer(udt))).status_code == 200  # fills the cache
    reads = []
    original = sessions.SessionService._user_state

    async def counting(self, user_id):
        reads.append(user_id)
        return await original(self, user_id)

    monkeypatch.setattr(sessions.SessionService, "_user_state", counting)
    for _ in range(3):
        assert (await api.http.get("/api/playlists", headers=bearer(udt))).status_code == 200
    assert reads == []
    await app.state.container.cache.delete(f"token-user:{user['id']}")
    assert (await api.http.get("/api/playlists", headers=bearer(udt))).status_code == 200
    assert reads == [uuid.UUID(user["id"])]


# --------------------------------------------------------------------------- deleted users: GraphQL

@functools.lru_cache(maxsize=1)
def _graphql_schema() -> GraphQLSchema:
    return build_schema(QueryLimits.from_settings(Settings()))._schema


def _literal(type_) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_literal(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [f"{n}: {_literal(f.type)}" for n, f in type_.fields.items()
                  if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined]
        return "{" + ", ".join(fields) + "}"
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": "1", "Float": "1.0", "Boolean": "true", "Date": '"1990-01-01"',
            "DateTime": '"2020-01-01T00:00:00Z"'}.get(type_.name, '"1"')


def _document(schema: GraphQLSchema, root: str, name: str) -> str:
    """The smallest document that calls one root field: its required arguments, `__typename` below it."""
    field = (schema.query_type if root == "Query" else schema.mutation_type).fields[name]
    args = [f"{n}: {_literal(a.type)}" for n, a in field.args.items()
            if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined]
    selection = "" if isinstance(get_named_type(field.type), (GraphQLScalarType, GraphQLEnumType)) else " { __typename }"
    call = f"{name}({', '.join(args)})" if args else name
    return f"{'mutation' if root == 'Mutation' else 'query'} {{ {call}{selection} }}"


USER_ROOT_FIELDS = sorted({tuple(op.graphql.split(".")) for _, op in USER_OPERATIONS
                           if op.graphql.split(".")[0] in ("Query", "Mutation")})


@pytest.mark.parametrize("root,name", USER_ROOT_FIELDS, ids=[f"{r}.{n}" for r, n in USER_ROOT_FIELDS])
async def test_every_user_graphql_field_refuses_a_deleted_users_udt(api, tenant, app, upstream, root, name):
    document = _document(_graphql_schema(), root, name)
    tokens = await _deleted_user_tokens(api, tenant)
    before = await row_counts()
    result = await api.gql(document, token=tokens["udt"])
    assert gql_codes(result) == ["INVALID_AUTH_TOKEN"], (document, result)
    assert await row_counts() == before
    live = await api.udt(tenant, (await api.create_user(tenant))["id"])
    assert "INVALID_AUTH_TOKEN" not in gql_codes(await api.gql(document, token=live)), document


# --------------------------------------------------------------------------- refresh reuse interval


def _family(signin: Passwordless, access_token: str) -> uuid.UUID:
    return signin.container.tokens.verify(access_token).family_id


async def _works(signin: Passwordless, session: dict) -> bool:
    return (await signin.me(session["access_token"])).status_code == 200


async def test_a_repeated_refresh_within_the_interval_yields_a_working_session(signin: Passwordless, tenant):
    first = await signin.session(tenant.slug, f"ri-{uuid.uuid4().hex[:8]}@example.com")
    second = (await signin.refresh(first["refresh_token"])).json()
    again = await signin.refresh(first["refresh_token"])  # the answer to the first refresh was lost
    assert again.status_code == 200, again.text
    retried = again.json()
    assert retried["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    assert _family(signin, retried["access_token"]) == _family(signin, first["access_token"])
    assert retried["refresh_expires_in"] <= second["refresh_expires_in"]  # still never extends the family
    assert await _works(signin, second) and await _works(signin, retried)
    assert (await RefreshFamily.get(id=_family(signin, first["access_token"]))).revoked_at is None
    for session in (retried, second):  # either branch rotates on as usual
        assert (await signin.refresh(session["refresh_token"])).status_code == 200


async def test_concurrent_refreshes_of_one_token_both_work(signin: Passwordless, tenant):
    session = await signin.session(tenant.slug, f"rc-{uuid.uuid4().hex[:8]}@example.com")
    answers = await asyncio.gather(*(signin.refresh(session["refresh_token"]) for _ in range(3)))
    assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
    sessions = [r.json() for r in answers]
    assert len({s["refresh_token"] for s in sessions}) == 3
    for s in sessions:
        assert await _works(signin, s)
        assert (await signin.refresh(s["refresh_token"])).status_code == 200


async def test_reuse_after_the_interval_revokes_the_family(signin: Passwordless, tenant):
    first = await signin.session(tenant.slug, f"ra-{uuid.uuid4().hex[:8]}@example.com")
    second = (await signin.refresh(first["refresh_token"])).json()
    await spent_long_ago(first["refresh_token"])
    r = await signin.refresh(first["refresh_token"])
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    family = await RefreshFamily.get(id=_family(signin, first["access_token"]))
    assert family.revoked_reason == "reuse"
    assert not await _works(signin, second)
    assert (await signin.refresh(second["refresh_token"])).status_code == 401


async def test_the_interval_runs_out_in_real_time(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(session_refresh_reuse_interval=1), mailbox)
    first = await pw.session(tenant.slug, f"rt-{uuid.uuid4().hex[:8]}@example.com")
    second = (await pw.refresh(first["refresh_token"])).json()
    assert (await pw.refresh(first["refresh_token"])).status_code == 200  # inside: 1 s
    await asyncio.sleep(1.2)
    assert (await pw.refresh(first["refresh_token"])).status_code == 401
    assert (await pw.me(second["access_token"])).status_code == 401


async def test_no_interval_means_any_reuse_revokes(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(session_refresh_reuse_interval=0), mailbox)
    session = await pw.session(tenant.slug, f"r0-{uuid.uuid4().hex[:8]}@example.com")
    answers = await asyncio.gather(pw.refresh(session["refresh_token"]), pw.refresh(session["refresh_token"]))
    assert sorted(r.status_code for r in answers) == [200, 401]
    winner = next(r.json() for r in answers if r.status_code == 200)
    assert (await pw.me(winner["access_token"])).status_code == 401


def test_the_interval_is_bounded():
    from pydantic import ValidationError

    assert Settings().session_refresh_reuse_interval == 30
    for bad in (-1, 301):
        with pytest.raises(ValidationError):
            Settings(session_refresh_reuse_interval=bad)
