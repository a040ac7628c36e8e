"""Revoking a client or a tenant ends its tokens at once (issue 18 item 5), though a client token is a JWT
checked offline and kept in the token verification cache: the revocation check runs on every request."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from tests.api import bearer

REDIS_URL = "redis://127.0.0.1:6379/14"
ME = {"query": "{ me { email } }"}


async def _users(http, token: str) -> int:
    return (await http.get("/api/users", headers=bearer(token))).status_code


async def test_revoked_client_token_fails_at_once(api, http, app):
    tenant = await api.new_tenant()
    assert await _users(http, tenant.token) == 200  # verified and cached: the warm path
    assert await _users(http, tenant.token) == 200
    sibling = await api.new_tenant()

    await app.state.container.revocations.revoke_client(tenant.client_id)

    r = await http.get("/api/users", headers=tenant.auth)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"
    gql = await http.post("/graphql", json={"query": "{ users { meta { total } } }"}, headers=tenant.auth)
    assert gql.json()["errors"][0]["extensions"]["code"] == "INVALID_AUTH_TOKEN"
    token = await http.post("/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret})
    assert token.status_code == 401 and token.json()["error"] == "invalid_client"
    assert await _users(http, sibling.token) == 200  # another tenant's client is untouched


async def test_revoked_tenant_ends_client_and_user_tokens(api, http, app):
    tenant, other = await api.new_tenant(), await api.new_tenant()
    user = await api.create_user(tenant)
    udt = (await http.post(f"/api/users/{user['id']}/udt", headers=tenant.auth,
                           json={"deviceId": str(uuid.uuid4())})).json()["token"]
    assert (await http.post("/graphql", json=ME, headers=bearer(udt))).json()["data"]["me"]["email"]

    from yourmusic.models import Tenant
    await app.state.container.revocations.revoke_tenant(await Tenant.get(id=tenant.id))

    assert await _users(http, tenant.token) == 401
    me = await http.post("/graphql", json=ME, headers=bearer(udt))
    assert me.json()["errors"][0]["extensions"]["code"] == "INVALID_AUTH_TOKEN"
    refused = await http.post("/api/oauth/token", json={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret})
    assert refused.status_code == 401
    assert await _users(http, other.token) == 200


async def test_a_client_token_names_its_own_tenant(api, http, app):
    """The cached client state carries its tenant: a token claiming another tenant for a client is refused
    (defence in depth: such a token cannot be signed without the key)."""
    tenant, other = await api.new_tenant(), await api.new_tenant()
    forged = app.state.container.tokens.issue("client", other.id, tenant.client_id, 60)
    assert await _users(http, forged) == 401


@pytest.mark.slow  # a subprocess: the CLI tells running servers through Redis
async def test_cli_client_revoke_reaches_a_running_server_through_redis(api, http, settings, use_container):
    namespace = f"rev-{uuid.uuid4().hex[:8]}"
    use_container(redis_url=REDIS_URL, cache_namespace=namespace, smtp_url=None)
    tenant = await api.new_tenant()
    assert await _users(http, tenant.token) == 200  # "live" is now cached in Redis for a few seconds

    env = {**os.environ, "DATABASE_URL": settings.database_url, "DATA_DIR": str(settings.data_dir),
           "SIGNING_KEYS": settings.signing_keys or "", "REDIS_URL": REDIS_URL, "CACHE_NAMESPACE": namespace}
    done = subprocess.run([sys.executable, "-m", "yourmusic.cli", "client", "revoke", tenant.client_id],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "next request" in done.stderr

    assert await _users(http, tenant.token) == 401  # at once, not after the cached answer's 5 s
