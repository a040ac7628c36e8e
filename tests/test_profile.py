"""#15-#16 the caller's own profile: a UDT or a session access token; never a client or refresh token."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.api import Passwordless, bearer
from yourmusic.models import User


async def _row(user_id: str) -> tuple:
    return await User.filter(id=user_id).values_list("email", "first_name", "last_name", "date_of_birth",
                                                     "updated_at", flat=False)


async def test_me_with_a_udt(api, tenant):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    r = await api.http.get("/api/me", headers=bearer(udt))
    assert r.status_code == 200 and r.json() == user


async def test_me_with_a_session_access_token(api, signin: Passwordless, tenant):
    user = await api.create_user(tenant)
    session = await signin.session(tenant.slug, user["email"])
    r = await signin.me(session["access_token"])
    assert r.status_code == 200 and r.json() == user


async def test_update_me(api, tenant):
    user = await api.create_user(tenant, first_name="Jane", last_name="Doe")
    udt = await api.udt(tenant, user["id"])
    r = await api.http.patch("/api/me", json={"first_name": "Janet", "date_of_birth": "1980-02-29"},
                             headers=bearer(udt))
    assert r.status_code == 200
    body = r.json()
    assert (body["first_name"], body["last_name"], body["date_of_birth"]) == ("Janet", "Doe", "1980-02-29")
    assert body["updated_at"] >= user["updated_at"]
    assert (await api.http.get(f"/api/users/{user['id']}", headers=tenant.auth)).json() == body

    # The email is the tenant's to manage: ignored here, not changed.
    r = await api.http.patch("/api/me", json={"email": "new@example.com", "last_name": "Roe"}, headers=bearer(udt))
    assert r.status_code == 200 and r.json()["email"] == user["email"] and r.json()["last_name"] == "Roe"
    # An empty patch changes nothing.
    r = await api.http.patch("/api/me", json={}, headers=bearer(udt))
    assert r.status_code == 200 and r.json()["last_name"] == "Roe"


TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("change,field", [
    ({"first_name": ""}, "first_name"), ({"first_name": None}, "first_name"), ({"last_name": "x" * 256}, "last_name"),
    ({"date_of_birth": "1990-02-30"}, "date_of_birth"), ({"date_of_birth": TOMORROW}, "date_of_birth"),
    ({"first_name": 5}, "first_name"),
])
async def test_update_me_validation_changes_nothing(api, tenant, change, field):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    before = await _row(user["id"])
    r = await api.http.patch("/api/me", json=change, headers=bearer(udt))
    assert r.status_code == 422 and list(r.json()["errors"]) == [field]
    assert await _row(user["id"]) == before


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_me_refuses_other_credentials(api, signin: Passwordless, tenant, method):
    session = await signin.session(tenant.slug, f"p-{uuid.uuid4().hex[:8]}@example.com")
    cases = [
        ({}, 401, "UNAUTHENTICATED"),
        (tenant.auth, 403, "FORBIDDEN"),  # a client token is no user
        (bearer(session["refresh_token"]), 401, "INVALID_AUTH_TOKEN"),  # never an access token
        (bearer("x.y.z"), 401, "INVALID_AUTH_TOKEN"),
        ({"Authorization": "Basic abc"}, 401, "INVALID_AUTH_TOKEN"),
    ]
    for headers, status, code in cases:
        r = await api.http.request(method, "/api/me", json={"first_name": "X"}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), headers


async def test_me_of_a_deleted_user(api, tenant):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    assert (await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)).status_code == 204
    for method in ("GET", "PATCH"):
        r = await api.http.request(method, "/api/me", json={"first_name": "X"}, headers=bearer(udt))
        assert r.status_code == 401 and r.json()["code"] == "INVALID_AUTH_TOKEN"


async def test_me_stays_in_the_token_tenant(api, tenant, other_tenant):
    email = f"same-{uuid.uuid4().hex[:8]}@example.com"
    mine = await api.create_user(tenant, email=email)
    theirs = await api.create_user(other_tenant, email=email)
    udt = await api.udt(tenant, mine["id"])
    before = await _row(theirs["id"])
    r = await api.http.patch("/api/me", json={"first_name": "Only Mine"}, headers=bearer(udt))
    assert r.status_code == 200 and r.json()["id"] == mine["id"]
    assert await _row(theirs["id"]) == before


async def test_openapi_documents_the_new_operations(api):
    paths = (await api.http.get("/openapi.json")).json()["paths"]
    assert set(paths["/api/me"]) == {"get", "patch"}
    assert paths["/api/me"]["get"]["security"] == [{"UDT": []}]
    assert paths["/api/me"]["patch"]["tags"] == ["Profile"]
    assert "201" in paths["/api/auth/signup"]["post"]["responses"]
    assert "204" in paths["/api/auth/logout"]["post"]["responses"]
    for path in ("/api/auth/otp/request", "/api/auth/otp/authenticate", "/api/auth/signup", "/api/auth/refresh",
                 "/api/auth/logout"):
        op = paths[path]["post"]
        assert op["tags"] == ["Authentication"] and op["security"] == [] and op["x-graphql"].startswith("Mutation.")
    assert "429" in paths["/api/auth/otp/request"]["post"]["responses"]
