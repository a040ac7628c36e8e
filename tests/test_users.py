"""#5-#9 and #4: the Users API and UDT minting, with every bad input answered and nothing changed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.api import bearer
from yourmusic.models import User


async def _rows(tenant) -> list[tuple]:
    """A snapshot of the tenant's users, to prove a refused request changed nothing."""
    return await User.filter(tenant_id=tenant.id).order_by("id").values_list(
        "id", "email", "first_name", "last_name", "date_of_birth", "updated_at")


async def test_create_get_update_delete(api, tenant):
    created = await api.create_user(tenant, email="Mixed.Case@Example.com")
    assert set(created) == {"id", "first_name", "last_name", "email", "date_of_birth", "status",
                            "subscription_ends_at", "pm_type", "pm_last_four", "created_at", "updated_at"}
    assert created["status"] == "UNSUBSCRIBED" and created["date_of_birth"] == "1990-01-15"
    assert created["created_at"].endswith("Z")
    uid = created["id"]

    got = await api.http.get(f"/api/users/{uid}", headers=tenant.auth)
    assert got.status_code == 200 and got.json() == created

    patched = await api.http.patch(f"/api/users/{uid}", json={"first_name": "Janet"}, headers=tenant.auth)
    assert patched.status_code == 200
    assert patched.json()["first_name"] == "Janet" and patched.json()["last_name"] == "Doe"

    put = await api.http.put(f"/api/users/{uid}", json={"last_name": "Roe", "unknown": 1}, headers=tenant.auth)
    assert put.status_code == 200
    assert put.json()["first_name"] == "Janet" and put.json()["last_name"] == "Roe"

    deleted = await api.http.delete(f"/api/users/{uid}", headers=tenant.auth)
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await api.http.get(f"/api/users/{uid}", headers=tenant.auth)).status_code == 404
    assert (await api.http.delete(f"/api/users/{uid}", headers=tenant.auth)).status_code == 404


async def test_email_unique_per_tenant_case_insensitive(api, tenant, other_tenant):
    await api.create_user(tenant, email="dup@example.com")
    before = await _rows(tenant)
    r = await api.http.post("/api/users", json={"first_name": "A", "last_name": "B", "email": "DUP@example.com",
                                                "date_of_birth": "1990-01-01"}, headers=tenant.auth)
    assert r.status_code == 422
    assert r.json() == {"message": "The given data was invalid.",
                        "errors": {"email": ["The email has already been taken."]}}
    assert await _rows(tenant) == before
    # The same address is free in another tenant.
    await api.create_user(other_tenant, email="dup@example.com")


async def test_update_email_to_taken_one(api, tenant):
    a = await api.create_user(tenant, email="a@example.com")
    await api.create_user(tenant, email="b@example.com")
    before = await _rows(tenant)
    r = await api.http.patch(f"/api/users/{a['id']}", json={"email": "B@EXAMPLE.COM"}, headers=tenant.auth)
    assert r.status_code == 422 and "email" in r.json()["errors"]
    assert await _rows(tenant) == before
    # Changing case of one's own address is fine.
    r = await api.http.patch(f"/api/users/{a['id']}", json={"email": "A@example.com"}, headers=tenant.auth)
    assert r.status_code == 200 and r.json()["email"] == "A@example.com"


TOMORROW = (date.today() + timedelta(days=1)).isoformat()
VALID = {"first_name": "Jane", "last_name": "Doe", "email": "x@example.com", "date_of_birth": "1990-01-15"}


@pytest.mark.parametrize("change,field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": ""}, "email"),
    ({"email": 42}, "email"),
    ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
    ({"date_of_birth": "15/01/1990"}, "date_of_birth"),
    ({"date_of_birth": 0}, "date_of_birth"),
    ({"date_of_birth": TOMORROW}, "date_of_birth"),
    ({"first_name": ""}, "first_name"),
    ({"first_name": "   "}, "first_name"),
    ({"first_name": "x" * 256}, "first_name"),
    ({"last_name": None}, "last_name"),
    ({"last_name": ["Doe"]}, "last_name"),
])
async def test_create_validation(api, tenant, change, field):
    before = await _rows(tenant)
    r = await api.http.post("/api/users", json={**VALID, **change}, headers=tenant.auth)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["message"] == "The given data was invalid." and list(body["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in body["errors"][field])
    assert await _rows(tenant) == before


@pytest.mark.parametrize("missing", ["first_name", "last_name", "email", "date_of_birth"])
async def test_create_requires_each_field(api, tenant, missing):
    before = await _rows(tenant)
    body = {k: v for k, v in VALID.items() if k != missing}
    r = await api.http.post("/api/users", json=body, headers=tenant.auth)
    assert r.status_code == 422
    assert r.json()["errors"] == {missing: [f"The {missing.replace('_', ' ')} field is required."]}
    assert await _rows(tenant) == before


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b'"text"', b"null"])
async def test_body_not_a_json_object(api, tenant, raw):
    before = await _rows(tenant)
    r = await api.http.post("/api/users", content=raw, headers={**tenant.auth, "content-type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["errors"]
    assert await _rows(tenant) == before


@pytest.mark.parametrize("change", [{"first_name": None}, {"email": "nope"}, {"date_of_birth": TOMORROW},
                                    {"last_name": ""}])
async def test_update_validation_changes_nothing(api, tenant, change):
    user = await api.create_user(tenant)
    before = await _rows(tenant)
    r = await api.http.patch(f"/api/users/{user['id']}", json=change, headers=tenant.auth)
    assert r.status_code == 422
    assert await _rows(tenant) == before


async def test_empty_patch_is_a_no_op(api, tenant):
    user = await api.create_user(tenant)
    r = await api.http.patch(f"/api/users/{user['id']}", json={}, headers=tenant.auth)
    assert r.status_code == 200 and r.json() == user


async def test_pagination(api, tenant):
    made = [await api.create_user(tenant) for _ in range(5)]
    r = await api.http.get("/api/users?page=2&per_page=2", headers=tenant.auth)
    assert r.status_code == 200
    page = r.json()
    assert [u["id"] for u in page["data"]] == [u["id"] for u in made[2:4]]
    meta = page["meta"]
    assert (meta["current_page"], meta["last_page"], meta["per_page"], meta["total"]) == (2, 3, 2, 5)
    assert (meta["from"], meta["to"]) == (3, 4)
    assert meta["path"].endswith("/api/users")
    assert page["links"]["prev"].endswith("page=1&per_page=2")
    assert page["links"]["next"].endswith("page=3&per_page=2")
    default = (await api.http.get("/api/users", headers=tenant.auth)).json()
    assert default["meta"]["per_page"] == 15 and len(default["data"]) == 5
    empty = (await api.http.get("/api/users?page=9", headers=tenant.auth)).json()
    assert empty["data"] == [] and empty["meta"]["from"] is None


@pytest.mark.parametrize("query,field", [
    ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("per_page=abc", "per_page"),
    ("page=0", "page"), ("page=-1", "page"), ("page=x", "page"),
])
async def test_pagination_bounds(api, tenant, query, field):
    r = await api.http.get(f"/api/users?{query}", headers=tenant.auth)
    assert r.status_code == 422 and list(r.json()["errors"]) == [field]


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", str(uuid.uuid4())])
async def test_unknown_or_malformed_ids_are_404(api, tenant, bad_id):
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        r = await api.http.request(method, f"/api/users/{bad_id}", json={}, headers=tenant.auth)
        assert r.status_code == 404, (method, r.text)
        assert r.json()["code"] == "NOT_FOUND"
    r = await api.http.post(f"/api/users/{bad_id}/udt", json={"deviceId": str(uuid.uuid4())}, headers=tenant.auth)
    assert r.status_code == 404


async def test_tenant_isolation_on_every_operation(api, tenant, other_tenant):
    theirs = await api.create_user(other_tenant)
    before = await _rows(other_tenant)
    uid = theirs["id"]
    calls = [
        ("GET", f"/api/users/{uid}", None),
        ("PATCH", f"/api/users/{uid}", {"first_name": "Hacked"}),
        ("PUT", f"/api/users/{uid}", {"first_name": "Hacked"}),
        ("DELETE", f"/api/users/{uid}", None),
        ("POST", f"/api/users/{uid}/udt", {"deviceId": str(uuid.uuid4())}),
    ]
    for method, path, body in calls:
        r = await api.http.request(method, path, json=body, headers=tenant.auth)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json()["code"] == "NOT_FOUND"
    listing = (await api.http.get("/api/users?per_page=100", headers=tenant.auth)).json()
    assert uid not in {u["id"] for u in listing["data"]}
    assert await _rows(other_tenant) == before


async def test_mint_udt(api, app, tenant):
    user = await api.create_user(tenant)
    device = str(uuid.uuid4())
    r = await api.http.post(f"/api/users/{user['id']}/udt", json={"deviceId": device}, headers=tenant.auth)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600 and body["token"]
    claims = app.state.container.tokens.verify(body["token"])
    assert (claims.use, str(claims.tenant_id), claims.subject, str(claims.device_id)) == (
        "udt", str(tenant.id), user["id"], device)


@pytest.mark.parametrize("body", [{}, {"deviceId": "nope"}, {"deviceId": 5}, {"device_id": str(uuid.uuid4())}])
async def test_mint_udt_validation(api, tenant, body):
    user = await api.create_user(tenant)
    r = await api.http.post(f"/api/users/{user['id']}/udt", json=body, headers=tenant.auth)
    assert r.status_code == 422 and "deviceId" in r.json()["errors"]


async def test_udt_of_deleted_user_names_nobody(api, tenant):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    assert (await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)).status_code == 204
    assert await User.filter(id=user["id"]).count() == 0
    # The UDT is still a valid signature, but it cannot reach client-only routes.
    assert (await api.http.get("/api/users", headers=bearer(udt))).status_code == 403


async def test_unknown_routes_and_methods_answer_json(api):
    r = await api.http.get("/api/nope")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    r = await api.http.post("/api/heartbeat")
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
