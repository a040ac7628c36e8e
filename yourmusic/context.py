"""The per-request context shared by GraphQL resolvers and REST handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from starlette.requests import HTTPConnection

from yourmusic.container import Container
from yourmusic.dataloaders.catalog import CatalogLoaders
from yourmusic.observability.middleware import current_request_info
from yourmusic.principals import (
    ClientPrincipal,
    Principal,
    UserPrincipal,
    bearer_token,
    principal_from_token,
    require_any,
    require_client,
    require_user,
)

_UNRESOLVED: Any = object()
P = TypeVar("P", bound=Principal)


@dataclass
class Context:
    request: HTTPConnection
    container: Container
    _principal: Any = field(default=_UNRESOLVED, repr=False)
    _live: bool = field(default=False, repr=False)
    _live_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _loaders: CatalogLoaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> CatalogLoaders:
        """Built on first use: a request that loads no catalog entity builds no loader."""
        if self._loaders is None:
            self._loaders = CatalogLoaders(self.container.catalog, self.container.streaming)
        return self._loaders

    def _verified(self) -> Principal | None:
        """The bearer token's principal, verified offline (signature, issuer, audience, expiry).

        Resolved on first use (a query that needs no auth never verifies a token). Raises
        INVALID_AUTH_TOKEN for a header that is present but bad.
        """
        if self._principal is _UNRESOLVED:
            token = bearer_token(self.request.headers.get("authorization"))
            info = current_request_info()
            try:
                self._principal = None if token is None else principal_from_token(self.container.tokens, token)
            except Exception:
                if info is not None:
                    info.principal = "invalid"
                raise
            if info is not None:
                info.record(self._principal)  # tenant and principal kind for the access log line
        return self._principal

    async def _ensure_live(self, principal: Principal) -> None:
        """The one place a token is checked beyond its signature: a client token's client and tenant are not
        revoked (services/revocation.py); a user token's tenant is not revoked, its user still exists (UDTs
        and session access tokens) and a session's family is live (not revoked or expired).

        Once per request, for every operation that reads the principal; the answers are cached briefly in
        the shared cache (a cache hit on the warm path).
        """
        if self._live:
            return
        async with self._live_lock:
            if not self._live:
                if isinstance(principal, ClientPrincipal):
                    await self.container.revocations.ensure_client_live(principal.tenant_id, principal.client_id)
                else:
                    await self.container.revocations.ensure_tenant_live(principal.tenant_id)
                    await self.container.sessions.ensure_live(
                        principal.tenant_id, principal.user_id, principal.device_id, principal.family_id
                    )
                self._live = True

    async def _live_principal(self, principal: P) -> P:
        await self._ensure_live(principal)
        return principal

    async def principal(self) -> Principal | None:
        """The caller, or None without an `Authorization` header (optional authentication)."""
        principal = self._verified()
        if principal is not None:
            await self._ensure_live(principal)
        return principal

    # `await ctx.client()` / `await ctx.user()` / `await ctx.caller()`. The token itself is checked
    # when called (a missing, bad or wrong-kind token raises at once), the session family when awaited.

    def live_caller(self) -> Principal | None:
        """The caller when this request has already checked it (token and liveness), else None: a field
        resolved after that (each item of a list) needs no await for it."""
        return self._principal if self._live else None  # type: ignore[no-any-return]

    def client(self) -> Awaitable[ClientPrincipal]:
        return self._live_principal(require_client(self._verified()))

    def user(self) -> Awaitable[UserPrincipal]:
        return self._live_principal(require_user(self._verified()))

    def caller(self) -> Awaitable[Principal]:
        return self._live_principal(require_any(self._verified()))

    async def user_by_link(self, principal: UserPrincipal) -> UserPrincipal:
        """The caller of a request authenticated by a signed link instead of a header (the link already
        verified): recorded like a token's principal (access log, the CORS check of its tenant's origins)
        and checked for liveness like one (user gone, session revoked: INVALID_AUTH_TOKEN)."""
        self._principal = principal
        info = current_request_info()
        if info is not None:
            info.record(principal)
        return await self._live_principal(principal)

    def for_operation(self) -> Context:
        """A copy for one operation of a WebSocket (whose Context lives as long as the connection): the
        same caller, its own DataLoaders and liveness check."""
        return replace(self, _live=False, _live_lock=asyncio.Lock(), _loaders=None)

    def fresh_loaders(self) -> None:
        """Forget the DataLoaders (and what they cached): a subscription's next event is a new read."""
        self._loaders = None

    async def connected(self, principal: Principal) -> Principal:
        """The caller of a WebSocket, authenticated once by its `connection_init` payload (the token
        already verified): recorded and checked for liveness like a header's (INVALID_AUTH_TOKEN)."""
        self._principal = principal
        info = current_request_info()
        if info is not None:
            info.record(principal)
        return await self._live_principal(principal)

    async def recheck(self) -> None:
        """Check the caller's liveness again (revoked client, tenant or session, user gone): a WebSocket
        lives longer than the brief cache of one request. Raises INVALID_AUTH_TOKEN."""
        principal = self._verified()
        if principal is not None:
            self._live = False
            await self._ensure_live(principal)

    def client_ip(self) -> str:
        """The caller's address: the TCP peer, or what a trusted proxy said (`yourmusic/proxies.py`)."""
        return self.request.client.host if self.request.client else "unknown"
