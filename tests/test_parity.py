"""The same cases through both transports: REST and GraphQL must agree, because they share resolvers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api import Api, TenantHandle


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}

USER_FIELDS = "id firstName lastName email dateOfBirth status subscriptionEndsAt pmType pmLastFour createdAt updatedAt"
CAMEL = {"first_name": "firstName", "last_name": "lastName", "date_of_birth": "dateOfBirth",
         "subscription_ends_at": "subscriptionEndsAt", "pm_type": "pmType", "pm_last_four": "pmLastFour",
         "created_at": "createdAt", "updated_at": "updatedAt"}


@dataclass
class Outcome:
    """A transport-neutral result: either data in REST's snake_case keys, or an error code."""

    data: Any = None
    code: str | None = None
    fields: tuple[str, ...] = ()


def _snake(user: dict[str, Any]) -> dict[str, Any]:
    back = {v: k for k, v in CAMEL.items()}
    return {back.get(k, k): v for k, v in user.items()}


def _gql_outcome(result: dict[str, Any], field: str) -> Outcome:
    if result.get("errors"):
        ext = result["errors"][0].get("extensions", {})
        return Outcome(code=ext.get("code"), fields=tuple(sorted(ext.get("errors", {}))))
    return Outcome(data=result["data"][field])


def _rest_outcome(r) -> Outcome:
    if r.status_code >= 400:
        body = r.json()
        code = body.get("code") or ("VALIDATION_FAILED" if r.status_code == 422 else None)
        return Outcome(code=code, fields=tuple(sorted(body.get("errors", {}))))
    return Outcome(data=r.json() if r.content else None)


class Rest:
    def __init__(self, api: Api) -> None:
        self.http = api.http

    async def create(self, token: str, body: dict) -> Outcome:
        return _rest_outcome(await self.http.post("/api/users", json=body, headers=bearer(token)))

    async def get(self, token: str, uid: str) -> Outcome:
        return _rest_outcome(await self.http.get(f"/api/users/{uid}", headers=bearer(token)))

    async def update(self, token: str, uid: str, body: dict) -> Outcome:
        return _rest_outcome(await self.http.patch(f"/api/users/{uid}", json=body, headers=bearer(token)))

    async def delete(self, token: str, uid: str) -> Outcome:
        out = _rest_outcome(await self.http.delete(f"/api/users/{uid}", headers=bearer(token)))
        return Outcome(data=True) if out.code is None else out

    async def list(self, token: str, page: int, per_page: int) -> Outcome:
        r = await self.http.get(f"/api/users?page={page}&per_page={per_page}", headers=bearer(token))
        out = _rest_outcome(r)
        if out.code:
            return out
        return Outcome(data={"ids": [u["id"] for u in out.data["data"]], "total": out.data["meta"]["total"]})


class GraphQL:
    def __init__(self, api: Api) -> None:
        self.api = api

    @staticmethod
    def _input(body: dict) -> dict:
        return {CAMEL.get(k, k): v for k, v in body.items()}

    async def create(self, token: str, body: dict) -> Outcome:
        q = f"mutation($i: CreateUserInput!){{ createUser(input: $i){{ {USER_FIELDS} }} }}"
        out = _gql_outcome(await self.api.gql(q, {"i": self._input(body)}, token), "createUser")
        return Outcome(data=_snake(out.data)) if out.data else out

    async def get(self, token: str, uid: str) -> Outcome:
        q = f"query($id: ID!){{ user(id: $id){{ {USER_FIELDS} }} }}"
        out = _gql_outcome(await self.api.gql(q, {"id": uid}, token), "user")
        return Outcome(data=_snake(out.data)) if out.data else out

    async def update(self, token: str, uid: str, body: dict) -> Outcome:
        q = f"mutation($id: ID!, $i: UpdateUserInput!){{ updateUser(id: $id, input: $i){{ {USER_FIELDS} }} }}"
        out = _gql_outcome(await self.api.gql(q, {"id": uid, "i": self._input(body)}, token), "updateUser")
        return Outcome(data=_snake(out.data)) if out.data else out

    async def delete(self, token: str, uid: str) -> Outcome:
        q = "mutation($id: ID!){ deleteUser(id: $id) }"
        return _gql_outcome(await self.api.gql(q, {"id": uid}, token), "deleteUser")

    async def list(self, token: str, page: int, per_page: int) -> Outcome:
        q = "query($p: Int!, $n: Int!){ users(page: $p, perPage: $n){ data { id } meta { total } } }"
        out = _gql_outcome(await self.api.gql(q, {"p": page, "n": per_page}, token), "users")
        if out.code:
            return out
        return Outcome(data={"ids": [u["id"] for u in out.data["data"]], "total": out.data["meta"]["total"]})


@pytest.fixture(params=["rest", "graphql"])
def transport(request, api):
    return Rest(api) if request.param == "rest" else GraphQL(api)


def _body(**over: Any) -> dict:
    return {"first_name": "Ada", "last_name": "Lovelace", "email": f"ada-{uuid.uuid4().hex[:8]}@example.com",
            "date_of_birth": "1985-12-10", **over}


async def test_lifecycle(transport, tenant: TenantHandle):
    created = await transport.create(tenant.token, _body(date_of_birth="1990-12-10"))
    assert created.code is None and created.data["status"] == "UNSUBSCRIBED"
    uid = created.data["id"]
    got = await transport.get(tenant.token, uid)
    assert got.data == created.data
    updated = await transport.update(tenant.token, uid, {"first_name": "Augusta"})
    assert updated.data["first_name"] == "Augusta" and updated.data["last_name"] == "Lovelace"
    listed = await transport.list(tenant.token, 1, 100)
    assert uid in listed.data["ids"] and listed.data["total"] == 1
    assert (await transport.delete(tenant.token, uid)).data is True
    assert (await transport.get(tenant.token, uid)).code == "NOT_FOUND"


@pytest.mark.parametrize("over,fields", [
    ({"email": "bad"}, ("email",)),
    ({"date_of_birth": "2999-01-01"}, ("date_of_birth",)),
    ({"date_of_birth": "1990-13-01"}, ("date_of_birth",)),
    ({"first_name": ""}, ("first_name",)),
    ({"first_name": "", "last_name": "y" * 300}, ("first_name", "last_name")),
])
async def test_validation_is_the_same(transport, tenant, over, fields):
    out = await transport.create(tenant.token, _body(**over))
    assert out.code == "VALIDATION_FAILED" and out.fields == fields
    assert (await transport.list(tenant.token, 1, 100)).data["total"] == 0


async def test_pagination_bounds_are_the_same(transport, tenant):
    assert (await transport.list(tenant.token, 0, 10)).fields == ("page",)
    assert (await transport.list(tenant.token, 1, 101)).fields == ("per_page",)


async def test_isolation_is_the_same(transport, tenant, other_tenant, api):
    theirs = await api.create_user(other_tenant)
    assert (await transport.get(tenant.token, theirs["id"])).code == "NOT_FOUND"
    assert (await transport.update(tenant.token, theirs["id"], {"first_name": "X"})).code == "NOT_FOUND"
    assert (await transport.delete(tenant.token, theirs["id"])).code == "NOT_FOUND"
    assert (await transport.get(other_tenant.token, theirs["id"])).data["first_name"] == "Jane"


async def test_auth_errors_are_the_same(transport, tenant, api):
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    assert (await transport.get("", user["id"])).code == "UNAUTHENTICATED"
    assert (await transport.get("forged.token.value", user["id"])).code == "INVALID_AUTH_TOKEN"
    assert (await transport.get(udt, user["id"])).code == "FORBIDDEN"


async def test_udt_parity(api, app, tenant):
    user = await api.create_user(tenant)
    device = str(uuid.uuid4())
    q = "mutation($u: ID!, $d: ID!){ mintUserDelegationToken(userId: $u, deviceId: $d){ token tokenType expiresIn } }"
    result = await api.gql(q, {"u": user["id"], "d": device}, tenant.token)
    minted = result["data"]["mintUserDelegationToken"]
    assert minted["expiresIn"] == 600 and minted["tokenType"] == "Bearer"
    claims = app.state.container.tokens.verify(minted["token"])
    assert str(claims.device_id) == device and claims.subject == user["id"]
    bad = await api.gql(q, {"u": user["id"], "d": "not-a-uuid"}, tenant.token)
    assert bad["errors"][0]["extensions"] == {"code": "VALIDATION_FAILED",
                                              "errors": {"deviceId": ["The deviceId field must be a valid UUID."]}}
