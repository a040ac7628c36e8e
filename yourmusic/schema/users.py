from __future__ import annotations

from datetime import date, datetime

import strawberry

from yourmusic import models
from yourmusic.pagination import PageArgs
from yourmusic.resolvers import users as resolvers
from yourmusic.schema.info import Info, entity_id, submitted
from yourmusic.schema.pagination import PageMeta
from yourmusic.services.users import UserCreate, UserUpdate
from yourmusic.validation import Submitted

UserStatus = strawberry.enum(models.UserStatus, name="UserStatus")


@strawberry.type
class User:
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    date_of_birth: date
    status: UserStatus  # type: ignore[valid-type]
    subscription_ends_at: datetime | None
    pm_type: str | None
    pm_last_four: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, u: models.User) -> User:
        return cls(
            id=strawberry.ID(str(u.id)),
            first_name=u.first_name,
            last_name=u.last_name,
            email=u.email,
            date_of_birth=u.date_of_birth,
            status=u.status,
            subscription_ends_at=u.subscription_ends_at,
            pm_type=u.pm_type,
            pm_last_four=u.pm_last_four,
            created_at=u.created_at,
            updated_at=u.updated_at,
        )


@strawberry.type
class UserPage:
    data: list[User]
    meta: PageMeta


@strawberry.input
class CreateUserInput:
    first_name: str
    last_name: str
    email: str
    date_of_birth: str = strawberry.field(description="YYYY-MM-DD, in the past.")


@strawberry.input(description="Partial: only the fields given change.")
class UpdateUserInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    date_of_birth: str | None = strawberry.UNSET


@strawberry.type
class UsersQuery:
    @strawberry.field(description="Users of the caller's tenant (client token).")
    async def users(self, info: Info, page: int = 1, per_page: int = 15) -> UserPage:
        result = await resolvers.users(info.context, Submitted(PageArgs, {"page": page, "per_page": per_page}))
        return UserPage(data=[User.of(u) for u in result.items], meta=PageMeta.of(result))

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> User:
        return User.of(await resolvers.user(info.context, entity_id(id)))


@strawberry.type
class UsersMutation:
    @strawberry.mutation
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        return User.of(await resolvers.create_user(info.context, submitted(UserCreate, input)))

    @strawberry.mutation
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> User:
        return User.of(await resolvers.update_user(info.context, entity_id(id), submitted(UserUpdate, input)))

    @strawberry.mutation(description="Deletes the user and everything that belongs to them. True when done.")
    async def delete_user(self, info: Info, id: strawberry.ID) -> bool:
        await resolvers.delete_user(info.context, entity_id(id))
        return True
