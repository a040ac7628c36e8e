"""The caller's own profile in GraphQL (user tokens): the twin of `/api/me`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from yourmusic.resolvers import profile as resolvers
from yourmusic.schema.info import Info, submitted
from yourmusic.schema.users import User
from yourmusic.services.users import ProfileUpdate


@strawberry.input(description="Partial: only the fields given change. The email is not editable here.")
class UpdateMeInput:
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name (1..255 characters).")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name (1..255 characters).")
    date_of_birth: str | None = strawberry.field(default=strawberry.UNSET, description="YYYY-MM-DD, in the past.")


_ERRORS = "Errors: UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (a client token)"


@strawberry.type
class ProfileQuery:
    @strawberry.field(description="The caller's own profile (a UDT or a session access token). " + _ERRORS
                      + "; INVALID_AUTH_TOKEN too when the token's user was deleted.")
    async def me(self, info: Info) -> User:
        return User.of(await resolvers.me(info.context))


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Updates the caller's own profile (a UDT or a session access token). "
                         + _ERRORS + ", VALIDATION_FAILED.")
    async def update_me(self, info: Info,
                        input: Annotated[UpdateMeInput, strawberry.argument(description="The fields to change.")]
                        ) -> User:
        return User.of(await resolvers.update_me(info.context, submitted(ProfileUpdate, input)))
