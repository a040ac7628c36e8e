"""Client tokens and user delegation tokens (UDTs) in GraphQL: the twins of `/api/oauth/token` and
`/api/users/{id}/udt`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from yourmusic.resolvers import auth as resolvers
from yourmusic.rest_compat.names import DEVICE
from yourmusic.schema.info import Info, entity_id
from yourmusic.services.client_auth import DeviceRef
from yourmusic.validation import Submitted


D = strawberry.field
A = strawberry.argument


@strawberry.type(description="An OAuth2 access token for a tenant's backend (RFC 6749 §5.1).")
class ClientToken:
    access_token: str = D(description="The bearer token (a JWT signed with Ed25519) to send as "
                                      "`Authorization: Bearer <token>`.")
    token_type: str = D(description="Always `Bearer`.")
    expires_in: int = D(description="Seconds until it expires (CLIENT_TOKEN_TTL, default 3600).")


@strawberry.type(description="A user delegation token (UDT): acts as one user on one device.")
class UserDelegationToken:
    token: str = D(description="The bearer token (a JWT) to send as `Authorization: Bearer <token>`.")
    token_type: str = D(description="Always `Bearer`.")
    expires_in: int = D(description="Seconds until it expires (UDT_TTL, default 600).")


@strawberry.type
class ClientAuthMutation:
    @strawberry.mutation(description="OAuth2 client credentials grant: a client token for the client's tenant. "
                         "Public. Errors: INVALID_CLIENT (unknown client or wrong secret), "
                         "UNSUPPORTED_GRANT_TYPE (any grant but client_credentials), INVALID_REQUEST (a "
                         "parameter missing).")
    async def issue_client_token(
        self, info: Info,
        client_id: Annotated[str, A(description="The client's id, as `yourmusic client create` printed it.")],
        client_secret: Annotated[str, A(description="The client's secret (shown once at creation).")],
        grant_type: Annotated[str, A(description="Only `client_credentials`.")] = "client_credentials",
    ) -> ClientToken:
        t = await resolvers.issue_client_token(info.context, grant_type, client_id, client_secret)
        return ClientToken(access_token=t.access_token, token_type=t.token_type, expires_in=t.expires_in)

    @strawberry.mutation(description="A short-lived token for one user on one device (client token). Errors: "
                         "UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (not a client token), NOT_FOUND (no "
                         "such user in the tenant), VALIDATION_FAILED (deviceId not a UUID).")
    async def mint_user_delegation_token(
        self, info: Info,
        user_id: Annotated[strawberry.ID, A(description="The user's id (UUID).")],
        device_id: Annotated[strawberry.ID, A(description="The device's id (UUID), chosen by the app; signed "
                                                          "stream URLs are bound to it.")],
    ) -> UserDelegationToken:
        device = Submitted(DeviceRef, {"device_id": device_id}, DEVICE)
        t = await resolvers.mint_user_delegation_token(info.context, entity_id(user_id), device)
        return UserDelegationToken(token=t.token, token_type=t.token_type, expires_in=t.expires_in)
