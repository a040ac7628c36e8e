"""Whether a token's client and tenant are still live: revoking a client or a tenant ends its tokens at once.

A client token is a signed JWT checked offline (and kept in `TokenService`'s verification cache for its
life), so revocation needs its own check: every request with a client token asks whether that client and
its tenant are still live; every request with a user token asks whether its tenant is. The answers come from
the shared cache backend on every request (never a per-process copy, like the session-family check), filled
from the database on a miss and kept SESSION_REVOCATION_CACHE_TTL seconds.

`revoke_client` / `revoke_tenant` write the database first and then put "not live" into that cache: with
`REDIS_URL` every worker and instance sees a revocation made by any process (the CLI included) on its next
request. Without Redis the cache is each process's own memory, which a CLI run cannot reach: a running server
then sees the revocation when its cached answer ends, at most SESSION_REVOCATION_CACHE_TTL seconds later.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from aiocache.base import BaseCache

from yourmusic.cache import shared_get, shared_set
from yourmusic.errors import InvalidAuthToken, NotFound
from yourmusic.models import ApiClient, Tenant


class CredentialRevoked(InvalidAuthToken):
    """The token's client or tenant was revoked: a 401 INVALID_AUTH_TOKEN like any dead token."""


def _client_key(client_id: str) -> str:
    return f"token-client:{client_id}"


def _tenant_key(tenant_id: uuid.UUID | str) -> str:
    return f"token-tenant:{tenant_id}"


class RevocationChecks:
    """Liveness of clients and tenants for the token checks, cached in `backend` for `ttl` seconds."""

    def __init__(self, backend: BaseCache, ttl: int) -> None:
        self._cache = backend
        self._ttl = max(1, ttl)

    async def _get(self, key: str) -> dict[str, Any] | None:
        return await shared_get(self._cache, key)

    async def _put(self, key: str, state: dict[str, Any]) -> None:
        await shared_set(self._cache, key, state, self._ttl)

    async def ensure_client_live(self, tenant_id: uuid.UUID, client_id: str) -> None:
        """CredentialRevoked unless the client exists in `tenant_id`, and neither it nor the tenant is revoked."""
        key = _client_key(client_id)
        state = await self._get(key)
        if state is None:
            row = await ApiClient.filter(client_id=client_id).values("tenant_id", "revoked_at", "tenant__revoked_at")
            live = bool(row) and row[0]["revoked_at"] is None and row[0]["tenant__revoked_at"] is None
            state = {"live": live, "tenant": str(row[0]["tenant_id"]) if row else None}
            await self._put(key, state)
        if not state.get("live") or state.get("tenant") != str(tenant_id):
            raise CredentialRevoked()

    async def ensure_tenant_live(self, tenant_id: uuid.UUID) -> None:
        """CredentialRevoked when the tenant was revoked (or no longer exists)."""
        key = _tenant_key(tenant_id)
        state = await self._get(key)
        if state is None:
            revoked = await Tenant.filter(id=tenant_id).values_list("revoked_at", flat=True)
            state = {"live": bool(revoked) and revoked[0] is None}
            await self._put(key, state)
        if not state.get("live"):
            raise CredentialRevoked()

    async def revoke_client(self, client_id: str) -> ApiClient:
        """Revoke a client (NotFound when there is none): no new token, and its tokens fail from now on."""
        client = await ApiClient.get_or_none(client_id=client_id)
        if client is None:
            raise NotFound(f"No client {client_id!r}.")
        if client.revoked_at is None:
            client.revoked_at = datetime.now(timezone.utc)
            await client.save(update_fields=["revoked_at"])
        await self._put(_client_key(client_id), {"live": False})
        return client

    async def revoke_tenant(self, tenant: Tenant) -> Tenant:
        """Revoke a tenant: its clients get no token, and every client and user token of it fails from now on."""
        if tenant.revoked_at is None:
            tenant.revoked_at = datetime.now(timezone.utc)
            await tenant.save(update_fields=["revoked_at"])
        await self._put(_tenant_key(tenant.id), {"live": False})
        for client_id in await ApiClient.filter(tenant_id=tenant.id).values_list("client_id", flat=True):
            await self._put(_client_key(str(client_id)), {"live": False})
        return tenant
