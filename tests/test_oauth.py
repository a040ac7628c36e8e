"""#3 POST /api/oauth/token: JSON, form and Basic; RFC 6749 errors; the token's own claims."""

from __future__ import annotations

import base64
import json

import pytest

from yourmusic.models import ApiClient
from yourmusic.security.secrets import digest


def _claims(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload)))


async def test_json_body(api, tenant):
    r = await api.http.post("/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert r.headers["cache-control"] == "no-store"
    header, claims = _claims(body["access_token"])
    assert header["alg"] == "Ed25519" and header["kid"]
    assert claims["iss"] == "yourmusic" and claims["aud"] == "yourmusic-api"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["tid"] == str(tenant.id) and claims["use"] == "client"


async def test_form_body(api, tenant):
    r = await api.http.post("/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret})
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]


async def test_http_basic(api, tenant):
    r = await api.http.post("/api/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(tenant.client_id, tenant.client_secret))
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    users = await api.http.get("/api/users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200


@pytest.mark.parametrize("secret", ["wrong", "", None])
async def test_wrong_secret_is_invalid_client(api, tenant, secret):
    body = {"grant_type": "client_credentials", "client_id": tenant.client_id}
    if secret is not None:
        body["client_secret"] = secret
    r = await api.http.post("/api/oauth/token", json=body)
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_client", "error_description": "Client authentication failed."}
    assert "access_token" not in r.text


async def test_unknown_client_and_bad_basic(api, tenant):
    r = await api.http.post("/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": "ym_nobody", "client_secret": tenant.client_secret})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = await api.http.post("/api/oauth/token", data={"grant_type": "client_credentials"},
                            headers={"Authorization": "Basic !!!not-base64"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = await api.http.post("/api/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(tenant.client_id, "wrong"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


async def test_grant_type_errors(api, tenant):
    creds = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}
    r = await api.http.post("/api/oauth/token", json=creds)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = await api.http.post("/api/oauth/token", json={**creds, "grant_type": "password"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = await api.http.post("/api/oauth/token", json={**creds, "grant_type": 7})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_malformed_bodies(api):
    r = await api.http.post("/api/oauth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = await api.http.post("/api/oauth/token", json=["client_credentials"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_secret_is_stored_hashed(tenant):
    row = await ApiClient.get(client_id=tenant.client_id)
    assert row.secret_hash == digest(tenant.client_secret)
    assert tenant.client_secret not in row.secret_hash


async def test_revoked_client_cannot_get_tokens(api, tenant):
    from datetime import UTC, datetime

    await ApiClient.filter(client_id=tenant.client_id).update(revoked_at=datetime.now(UTC))
    r = await api.http.post("/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


async def test_graphql_issue_client_token(api, tenant):
    q = "mutation($id:String!,$s:String!){ issueClientToken(clientId:$id, clientSecret:$s){ accessToken tokenType expiresIn } }"
    ok = await api.gql(q, {"id": tenant.client_id, "s": tenant.client_secret})
    assert ok["data"]["issueClientToken"]["tokenType"] == "Bearer"
    assert ok["data"]["issueClientToken"]["expiresIn"] == 3600
    bad = await api.gql(q, {"id": tenant.client_id, "s": "nope"})
    assert bad["data"] is None
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CLIENT"
