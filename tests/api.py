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


async def spent_long_ago(refresh_token: str) -> None:
    """Make a spent refresh token's first use a day old: presenting it again is past any reuse interval."""
    from datetime import UTC, datetime, timedelta

    from yourmusic.models import RefreshToken
    from yourmusic.security.secrets import digest

    spent = await RefreshToken.filter(token_hash=digest(refresh_token)).exclude(used_at=None).update(
        used_at=datetime.now(UTC) - timedelta(days=1))
    assert spent == 1, "the refresh token was not spent"


def gql_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


class Passwordless:
    """Passwordless sign-in as a front-end runs it (REST), reading each code from the SMTP server."""

    def __init__(self, http: httpx.AsyncClient, container: Any, mailbox: Any) -> None:
        self.http = http
        self.container = container
        self.mailbox = mailbox

    async def request(self, tenant: str, email: str, locale: str | None = None,
                      http: httpx.AsyncClient | None = None) -> httpx.Response:
        body = {"tenant": tenant, "email": email}
        if locale is not None:
            body["locale"] = locale
        return await (http or self.http).post("/api/auth/otp/request", json=body)

    async def delivered(self, email: str) -> Any:
        """The newest mail to `email`, once every pending send is done."""
        assert await self.container.mail.drain(timeout=15)
        return self.mailbox.last(email)

    async def code(self, email: str) -> str:
        return (await self.delivered(email)).code

    async def authenticate(self, tenant: str, email: str, code: str, device_id: str | None = None,
                           http: httpx.AsyncClient | None = None) -> httpx.Response:
        body = {"tenant": tenant, "email": email, "code": code, "device_id": device_id or str(uuid.uuid4())}
        return await (http or self.http).post("/api/auth/otp/authenticate", json=body)

    async def signup(self, onboarding_token: str, **fields: Any) -> httpx.Response:
        body = {"onboarding_token": onboarding_token, "first_name": "Sam", "last_name": "Signup",
                "date_of_birth": "1991-04-02", **fields}
        return await self.http.post("/api/auth/signup", json=body)

    async def refresh(self, refresh_token: Any) -> httpx.Response:
        return await self.http.post("/api/auth/refresh", json={"refresh_token": refresh_token})

    async def logout(self, refresh_token: Any) -> httpx.Response:
        return await self.http.post("/api/auth/logout", json={"refresh_token": refresh_token})

    async def me(self, access_token: str) -> httpx.Response:
        return await self.http.get("/api/me", headers=bearer(access_token))

    async def code_for(self, tenant: str, email: str, locale: str | None = None) -> str:
        r = await self.request(tenant, email, locale)
        assert r.status_code == 200, r.text
        return await self.code(email)

    async def session(self, tenant: str, email: str, device_id: str | None = None) -> dict[str, Any]:
        """Signed in (signing up first when the address has no account): the session body."""
        code = await self.code_for(tenant, email)
        r = await self.authenticate(tenant, email, code, device_id)
        assert r.status_code == 200, r.text
        body = r.json()
        if "onboarding_token" in body:
            r = await self.signup(body["onboarding_token"])
            assert r.status_code == 201, r.text
            body = r.json()
        return body
