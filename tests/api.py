"""A small client for the tests: the calls a tenant backend or a front-end makes, nothing more."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from yourmusic.services.tenancy import create_client, create_tenant


@dataclass
class TenantHandle:
    id: uuid.UUID
    slug: str
    client_id: str
    client_secret: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def new_tenant(self) -> TenantHandle:
        """A fresh tenant with one client (made as an operator would, through the CLI's service)."""
        slug = f"t-{uuid.uuid4().hex[:10]}"
        tenant = await create_tenant(slug, f"Tenant {slug}")
        issued = await create_client(tenant, "tests")
        token = await self.client_token(issued.client.client_id, issued.secret)
        return TenantHandle(tenant.id, slug, issued.client.client_id, issued.secret, token)

    async def client_token(self, client_id: str, secret: str) -> str:
        r = await self.http.post(
            "/api/oauth/token",
            json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    async def create_user(self, tenant: TenantHandle, **fields: Any) -> dict[str, Any]:
        body = {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": f"jane-{uuid.uuid4().hex[:8]}@example.com",
            "date_of_birth": "1990-01-15",
            **fields,
        }
        r = await self.http.post("/api/users", json=body, headers=tenant.auth)
        assert r.status_code == 201, r.text
        return r.json()

    async def udt(self, tenant: TenantHandle, user_id: str, device_id: str | None = None) -> str:
        r = await self.http.post(
            f"/api/users/{user_id}/udt", json={"deviceId": device_id or str(uuid.uuid4())}, headers=tenant.auth
        )
        assert r.status_code == 200, r.text
        return r.json()["token"]

    async def gql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
        h = dict(headers or {})
        if token:
            h.update(bearer(token))
        r = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=h)
        assert r.status_code == 200, r.text
        return r.json()


def gql_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]
