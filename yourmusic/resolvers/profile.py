"""#15-#16: the caller's own profile (a UDT or a session access token)."""

from __future__ import annotations

from yourmusic.context import Context
from yourmusic.errors import InvalidAuthToken, NotFound
from yourmusic.models import User
from yourmusic.services import users as svc
from yourmusic.validation import Submitted


async def me(ctx: Context) -> User:
    caller = await ctx.user()
    try:
        return await svc.get_user(caller.tenant_id, caller.user_id)
    except NotFound:  # the token names a user deleted since: the token is what is wrong
        raise InvalidAuthToken() from None


async def update_me(ctx: Context, update: Submitted[svc.ProfileUpdate]) -> User:
    return await svc.update_user(await me(ctx), update.value())
