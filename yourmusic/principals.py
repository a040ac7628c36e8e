"""Who is calling: resolved once per request from the `Authorization` header."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from yourmusic.errors import Forbidden, InvalidAuthToken, Unauthenticated
from yourmusic.security.tokens import TokenError, TokenService


@dataclass(frozen=True, slots=True)
class ClientPrincipal:
    """A tenant's backend, holding a client token."""

    tenant_id: uuid.UUID
    client_id: str
    kind: str = "client"


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """One user of one tenant on one device (a UDT or a session access token)."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    device_id: uuid.UUID | None
    family_id: uuid.UUID | None = None
    kind: str = "user"


Principal = ClientPrincipal | UserPrincipal

USER_TOKEN_USES = frozenset({"udt", "access"})


def bearer_token(authorization: str | None) -> str | None:
    """The token of a `Bearer` header; None when there is no header at all.

    A header that is present but not a well-formed Bearer credential is an invalid token, not a
    missing one: the caller did try to authenticate.
    """
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidAuthToken()
    return token


def principal_from_token(tokens: TokenService, token: str) -> Principal:
    try:
        claims = tokens.verify(token)
    except TokenError:
        raise InvalidAuthToken() from None
    if claims.use == "client":
        return ClientPrincipal(tenant_id=claims.tenant_id, client_id=claims.subject)
    if claims.use in USER_TOKEN_USES:
        try:
            user_id = uuid.UUID(claims.subject)
        except ValueError:
            raise InvalidAuthToken() from None
        return UserPrincipal(
            tenant_id=claims.tenant_id,
            user_id=user_id,
            device_id=claims.device_id,
            family_id=claims.family_id,
        )
    raise InvalidAuthToken()


def require_client(principal: Principal | None) -> ClientPrincipal:
    if principal is None:
        raise Unauthenticated()
    if not isinstance(principal, ClientPrincipal):
        raise Forbidden("This operation needs a client token.")
    return principal


def require_user(principal: Principal | None) -> UserPrincipal:
    if principal is None:
        raise Unauthenticated()
    if not isinstance(principal, UserPrincipal):
        raise Forbidden("This operation needs a user token.")
    return principal


def require_any(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated()
    return principal
