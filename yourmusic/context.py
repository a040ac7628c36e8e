"""The per-request context shared by GraphQL resolvers and REST handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from yourmusic.container import Container
from yourmusic.dataloaders.catalog import CatalogLoaders
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


@dataclass
class Context:
    request: HTTPConnection
    container: Container
    _principal: Any = field(default=_UNRESOLVED, repr=False)
    _loaders: CatalogLoaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> CatalogLoaders:
        """Built on first use: a request that loads no catalog entity builds no loader."""
        if self._loaders is None:
            self._loaders = CatalogLoaders(self.container.catalog)
        return self._loaders

    @property
    def principal(self) -> Principal | None:
        """Resolved on first use (a query that needs no auth never verifies a token).

        Raises INVALID_AUTH_TOKEN for a header that is present but bad.
        """
        if self._principal is _UNRESOLVED:
            token = bearer_token(self.request.headers.get("authorization"))
            self._principal = None if token is None else principal_from_token(self.container.tokens, token)
        return self._principal

    def client(self) -> ClientPrincipal:
        return require_client(self.principal)

    def user(self) -> UserPrincipal:
        return require_user(self.principal)

    def caller(self) -> Principal:
        return require_any(self.principal)
