from __future__ import annotations

import strawberry

from yourmusic.resolvers import profile as resolvers
from yourmusic.schema.info import Info, submitted
from yourmusic.schema.users import User
from yourmusic.services.users import ProfileUpdate


@strawberry.input(description="Partial: only the fields given change. The email is not editable here.")
class UpdateMeInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    date_of_birth: str | None = strawberry.UNSET


@strawberry.type
class ProfileQuery:
    @strawberry.field(description="The caller's own profile (a UDT or a session access token).")
    async def me(self, info: Info) -> User:
        return User.of(await resolvers.me(info.context))


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Updates the caller's own profile (a UDT or a session access token).")
    async def update_me(self, info: Info, input: UpdateMeInput) -> User:
        return User.of(await resolvers.update_me(info.context, submitted(ProfileUpdate, input)))
