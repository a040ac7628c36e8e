from __future__ import annotations

import strawberry

from yourmusic.resolvers import auth as resolvers
from yourmusic.rest_compat.names import DEVICE
from yourmusic.schema.info import Info, entity_id
from yourmusic.services.client_auth import DeviceRef
from yourmusic.validation import Submitted


@strawberry.type
class ClientToken:
    access_token: str
    token_type: str
    expires_in: int


@strawberry.type
class UserDelegationToken:
    token: str
    token_type: str
    expires_in: int


@strawberry.type
class ClientAuthMutation:
    @strawberry.mutation(description="OAuth2 client credentials grant.")
    async def issue_client_token(
        self, info: Info, client_id: str, client_secret: str, grant_type: str = "client_credentials"
    ) -> ClientToken:
        t = await resolvers.issue_client_token(info.context, grant_type, client_id, client_secret)
        return ClientToken(access_token=t.access_token, token_type=t.token_type, expires_in=t.expires_in)

    @strawberry.mutation(description="A short-lived token for one user on one device (client token).")
    async def mint_user_delegation_token(
        self, info: Info, user_id: strawberry.ID, device_id: strawberry.ID
    ) -> UserDelegationToken:
        device = Submitted(DeviceRef, {"device_id": device_id}, DEVICE)
        t = await resolvers.mint_user_delegation_token(info.context, entity_id(user_id), device)
        return UserDelegationToken(token=t.token, token_type=t.token_type, expires_in=t.expires_in)
