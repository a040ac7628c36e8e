"""#15-#16: the caller's own profile (a UDT or a session access token)."""

from __future__ import annotations

from typing import Any

from yourmusic.context import Context
from yourmusic.errors import InvalidAuthToken, NotFound
from yourmusic.models import User
from yourmusic.services import users as svc


async def me(ctx: Context) -> User:
    caller = await ctx.user()
    try:
        return await svc.get_user(caller.tenant_id, caller.user_id)
    except NotFound:  # the token names a user deleted since: the token is what is wrong
        raise InvalidAuthToken() from None


async def update_me(ctx: Context, data: Any) -> User:
    caller = await ctx.user()
    try:
        return await svc.update_user(caller.tenant_id, caller.user_id, data, model=svc.ProfileUpdate)
    except NotFound:
        raise InvalidAuthToken() from None
