"""Subscriptions (graphql-transport-ws on /graphql): the caller's user and a playlist, as they change."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from yourmusic.resolvers import live as resolvers
from yourmusic.schema.info import Info, entity_id
from yourmusic.schema.playlists import USER_ERRORS, Playlist, PlaylistId
from yourmusic.schema.users import User

SUBSCRIPTION_DESCRIPTION = (
    "Live updates over a WebSocket on /graphql, protocol graphql-transport-ws; the user token goes in the "
    "`connection_init` payload: `{\"Authorization\": \"Bearer <token>\"}`. Each subscription first sends the "
    "current state, then the whole entity after each change, whoever made it (REST or GraphQL). A stream "
    "ends with an `error` message: INVALID_AUTH_TOKEN when the token expires or is revoked, NOT_FOUND when "
    "the playlist can no longer be seen.")


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="The caller's own profile now, then after each change of its profile or "
                             "subscription state (checkout, renewals, cancellation: Stripe's webhooks included). "
                             "Errors: " + USER_ERRORS + "; INVALID_AUTH_TOKEN when the user is deleted.")
    async def me_changed(self, info: Info) -> AsyncGenerator[User, None]:
        async with aclosing(resolvers.me_changes(info.context)) as changes:
            async for user in changes:
                yield User.of(user)

    @strawberry.subscription(description="A playlist now, then after each change of its fields or tracks. Visible "
                             "as `Query.playlist`: the owner's, or a public one of the tenant. Errors: " + USER_ERRORS
                             + ", NOT_FOUND (no such playlist or another user's private one, at the start; later: "
                             "it was deleted, or turned private for a reader other than the owner).")
    async def playlist_changed(self, info: Info, id: PlaylistId) -> AsyncGenerator[Playlist, None]:
        async with aclosing(resolvers.playlist_changes(info.context, entity_id(id))) as changes:
            async for playlist in changes:
                yield Playlist.of(playlist)
