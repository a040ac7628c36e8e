"""Live updates (GraphQL subscriptions): the caller's user and a visible playlist, as they change.

Each stream starts with the current state (so a client never misses a change between reading and
subscribing), then one item per change published by the services (`live/events.py`) after commit. The
entity is reloaded once per event per process (`live/hub.py`) and checked here, in memory, against
the caller (each item is read with fresh DataLoaders): a playlist the caller can no longer see (turned private, deleted) ends the stream with
NOT_FOUND; the caller's user deleted ends it with INVALID_AUTH_TOKEN (the token names no user now).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from yourmusic.context import Context
from yourmusic.errors import InvalidAuthToken
from yourmusic.live.events import playlist_changed, user_changed
from yourmusic.models import Playlist, User
from yourmusic.resolvers.profile import me
from yourmusic.services import playlists as svc


async def me_changes(ctx: Context) -> AsyncIterator[User]:
    """The caller's user now, then after each change of its profile or subscription state (user token)."""
    caller = await ctx.user()
    async with ctx.container.live.watch(user_changed(caller.tenant_id, caller.user_id)) as watcher:
        yield await me(ctx)
        while True:
            user = await watcher.next()
            if user is None:
                raise InvalidAuthToken()
            ctx.fresh_loaders()
            yield user


async def playlist_changes(ctx: Context, playlist_id: uuid.UUID) -> AsyncIterator[Playlist]:
    """The playlist now, then after each change of its fields or entries, while the caller may see it
    (as `Query.playlist`: NotFound otherwise, at the start or when it turns private or is deleted)."""
    caller = await ctx.user()
    async with ctx.container.live.watch(playlist_changed(caller.tenant_id, playlist_id)) as watcher:
        yield await svc.get_visible(caller.tenant_id, caller.user_id, playlist_id)
        while True:
            playlist = svc.visible(await watcher.next(), caller.user_id)
            ctx.fresh_loaders()  # the tracks of this state are read anew (the catalog's cache still applies)
            yield playlist
