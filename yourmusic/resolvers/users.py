"""The Users API (client token): the tenant's backend manages its users."""

from __future__ import annotations

import uuid

from yourmusic.context import Context
from yourmusic.models import User
from yourmusic.pagination import CursorArgs, CursorPage, Page, PageArgs, walked
from yourmusic.services import users as svc
from yourmusic.validation import Submitted


async def users(ctx: Context, page: Submitted[PageArgs]) -> Page[User]:
    client = await ctx.client()
    return await svc.list_users(client.tenant_id, page.value())


async def walk_users(ctx: Context, args: Submitted[CursorArgs]) -> CursorPage[User]:
    client = await ctx.client()
    return await walked(args, lambda a: svc.walk_users(client.tenant_id, a, ctx.container.cursors))


async def user(ctx: Context, user_id: uuid.UUID) -> User:
    client = await ctx.client()
    return await svc.get_user(client.tenant_id, user_id)


async def create_user(ctx: Context, new: Submitted[svc.UserCreate]) -> User:
    client = await ctx.client()
    return await svc.create_user(client.tenant_id, new.value())


async def update_user(ctx: Context, user_id: uuid.UUID, update: Submitted[svc.UserUpdate]) -> User:
    client = await ctx.client()
    found = await svc.get_user(client.tenant_id, user_id)
    return await svc.update_user(found, update.value())


async def delete_user(ctx: Context, user_id: uuid.UUID) -> None:
    client = await ctx.client()
    await svc.delete_user(client.tenant_id, user_id)
    await ctx.container.sessions.user_deleted(user_id)  # the delete found it: its tokens stop working at once
