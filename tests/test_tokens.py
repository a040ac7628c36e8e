"""Bearer token checks: missing, malformed, forged, expired, wrong audience/issuer, alg none, wrong kind."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.api import bearer, gql_codes
from yourmusic.security.tokens import TokenService, generate_key_set


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _claims(tenant, **over) -> dict:
    now = int(time.time())
    return {"iss": "yourmusic", "aud": "yourmusic-api", "iat": now, "exp": now + 600,
            "sub": tenant.client_id, "tid": str(tenant.id), "use": "client", **over}


def _app_keys(app) -> TokenService:
    return app.state.container.tokens


async def _users_status(api, headers) -> tuple[int, dict]:
    r = await api.http.get("/api/users", headers=headers)
    return r.status_code, r.json()


async def test_missing_token_is_unauthenticated(api):
    status, body = await _users_status(api, {})
    assert status == 401
    assert body == {"message": "Unauthenticated.", "code": "UNAUTHENTICATED"}


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Bearer not-a-jwt", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Token abc",
    "Bearer eyJhbGciOiJFZDI1NTE5In0.e30.AAAA",
])
async def test_malformed_tokens(api, header):
    status, body = await _users_status(api, {"Authorization": header})
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_forged_signature(api, tenant):
    other = KeySet.import_key_set(generate_key_set())
    kid = other.keys[0].kid
    forged = jwt.encode({"alg": "Ed25519", "kid": kid}, _claims(tenant), other, algorithms=["Ed25519"])
    status, body = await _users_status(api, bearer(forged))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_tampered_payload(api, tenant, other_tenant):
    header, _, sig = tenant.token.split(".")
    tampered = ".".join([header, _b64(_claims(tenant, tid=str(other_tenant.id))), sig])
    status, body = await _users_status(api, bearer(tampered))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_alg_none(api, tenant):
    token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(tenant)) + "."
    status, body = await _users_status(api, bearer(token))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_hs256_with_public_key_confusion(api, app, tenant):
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "x"})
    token = header + "." + _b64(_claims(tenant)) + ".c2lnbmF0dXJl"
    status, body = await _users_status(api, bearer(token))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_expired(api, app, tenant):
    token = _app_keys(app).issue("client", tenant.id, tenant.client_id, ttl=-5)
    status, body = await _users_status(api, bearer(token))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


@pytest.mark.parametrize("issuer,audience", [("yourmusic", "someone-else"), ("evil", "yourmusic-api")])
async def test_wrong_audience_or_issuer(api, app, tenant, issuer, audience):
    real = _app_keys(app)
    other = TokenService(real._keys, issuer, audience)  # same key, other iss/aud
    token = other.issue("client", tenant.id, tenant.client_id, ttl=600)
    status, body = await _users_status(api, bearer(token))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_unknown_use_claim(api, app, tenant):
    token = _app_keys(app).issue("refresh", tenant.id, tenant.client_id, ttl=600)
    status, body = await _users_status(api, bearer(token))
    assert status == 401 and body["code"] == "INVALID_AUTH_TOKEN"


async def test_udt_where_client_token_needed_is_forbidden(api, tenant):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    status, body = await _users_status(api, bearer(udt))
    assert status == 403 and body["code"] == "FORBIDDEN"
    r = await api.http.post(f"/api/users/{user['id']}/udt", json={"deviceId": str(uuid.uuid4())}, headers=bearer(udt))
    assert r.status_code == 403
    result = await api.gql("{ users { meta { total } } }", token=udt)
    assert gql_codes(result) == ["FORBIDDEN"]


async def test_graphql_token_errors(api):
    assert gql_codes(await api.gql("{ users { meta { total } } }")) == ["UNAUTHENTICATED"]
    assert gql_codes(await api.gql("{ users { meta { total } } }", token="garbage")) == ["INVALID_AUTH_TOKEN"]
    # A field that needs no auth still answers with a bad token present.
    assert (await api.gql("{ heartbeat }", token="garbage"))["data"]["heartbeat"]
