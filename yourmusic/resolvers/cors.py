"""CORS origins of the caller's tenant (client token), shared by REST and GraphQL."""

from __future__ import annotations

from collections.abc import Sequence

from yourmusic.context import Context
from yourmusic.services import cors as svc


async def cors_origins(ctx: Context) -> list[str]:
    """The tenant's allowed origins, sorted."""
    client = await ctx.client()
    return await svc.tenant_origins(client.tenant_id)


async def set_cors_origins(ctx: Context, origins: Sequence[str]) -> list[str]:
    """Replace the tenant's allowed origins (422 for a bad one: nothing changes); returns them sorted."""
    client = await ctx.client()
    return await svc.replace_tenant_origins(client.tenant_id, origins, ctx.container.cors)
