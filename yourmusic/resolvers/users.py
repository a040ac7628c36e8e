from __future__ import annotations

from typing import Any

from yourmusic.context import Context
from yourmusic.models import User
from yourmusic.pagination import Page
from yourmusic.services import users as svc


async def users(ctx: Context, args: dict[str, Any]) -> Page[User]:
    client = await ctx.client()
    return await svc.list_users(client.tenant_id, args)


async def user(ctx: Context, user_id: Any) -> User:
    client = await ctx.client()
    return await svc.get_user(client.tenant_id, user_id)


async def create_user(ctx: Context, data: Any) -> User:
    client = await ctx.client()
    return await svc.create_user(client.tenant_id, data)


async def update_user(ctx: Context, user_id: Any, data: Any) -> User:
    client = await ctx.client()
    return await svc.update_user(client.tenant_id, user_id, data)


async def delete_user(ctx: Context, user_id: Any) -> None:
    client = await ctx.client()
    await svc.delete_user(client.tenant_id, user_id)
