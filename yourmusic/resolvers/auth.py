from __future__ import annotations

import uuid
from typing import Any

from yourmusic.context import Context
from yourmusic.services import client_auth
from yourmusic.validation import Submitted


async def issue_client_token(ctx: Context, grant_type: Any, client_id: Any, client_secret: Any) -> client_auth.ClientToken:
    settings = ctx.container.settings
    return await client_auth.issue_client_token(
        ctx.container.tokens, settings.client_token_ttl, grant_type, client_id, client_secret
    )


async def mint_user_delegation_token(ctx: Context, user_id: uuid.UUID,
                                     device: Submitted[client_auth.DeviceRef]) -> client_auth.DelegationToken:
    client = await ctx.client()
    return await client_auth.mint_user_delegation_token(
        ctx.container.tokens, ctx.container.settings.udt_ttl, client.tenant_id, user_id, device
    )
