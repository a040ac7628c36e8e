"""OAuth2 client-credentials tokens and user delegation tokens (UDT)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


from yourmusic.errors import OAuthError
from yourmusic.security.tokens import TokenService
from yourmusic.services.tenancy import authenticate_client
from yourmusic.services.users import get_user
from yourmusic.validation import Input, Submitted


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class DelegationToken:
    token: str
    expires_in: int
    token_type: str = "Bearer"


class DeviceRef(Input):
    """The device a user token is for."""

    device_id: uuid.UUID


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def issue_client_token(
    tokens: TokenService, ttl: int, grant_type: Any, client_id: Any, client_secret: Any
) -> ClientToken:
    """RFC 6749 §4.4; errors per §5.2 (`invalid_request`, `unsupported_grant_type`, `invalid_client`)."""
    if grant_type is None or grant_type == "":
        raise OAuthError("invalid_request", "The grant_type parameter is required.")
    if not isinstance(grant_type, str):
        raise OAuthError("invalid_request", "The grant_type parameter must be a string.")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.")
    cid, secret = _text(client_id), _text(client_secret)
    client = await authenticate_client(cid, secret) if cid and secret else None
    if client is None:
        raise OAuthError("invalid_client", "Client authentication failed.", status=401)
    token = tokens.issue("client", client.tenant_id, client.client_id, ttl)  # type: ignore[attr-defined]
    return ClientToken(access_token=token, expires_in=ttl)


async def mint_user_delegation_token(
    tokens: TokenService, ttl: int, tenant_id: uuid.UUID, user_id: uuid.UUID, device: Submitted[DeviceRef]
) -> DelegationToken:
    """A UDT (`ttl` seconds) for the tenant's user on one device; NotFound before the device is checked."""
    user = await get_user(tenant_id, user_id)
    token = tokens.issue("udt", tenant_id, str(user.id), ttl, device_id=device.value().device_id)
    return DelegationToken(token=token, expires_in=ttl)
