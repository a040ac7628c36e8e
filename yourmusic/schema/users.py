"""Users in GraphQL: a tenant's users (client token), the twin of `/api/users`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from yourmusic import models
from yourmusic.pagination import PageArgs
from yourmusic.resolvers import users as resolvers
from yourmusic.schema.info import Info, entity_id, submitted
from yourmusic.schema.pagination import CURSOR_ERRORS, After, Connection, First, PageMeta, cursor_args
from yourmusic.services.users import UserCreate, UserUpdate
from yourmusic.validation import Submitted

UserStatus = strawberry.enum(models.UserStatus, name="UserStatus",
                             description="A user's subscription state, kept by Stripe's webhooks.")
_STATUS = {
    "SUBSCRIBED": "An active subscription until `subscriptionEndsAt`; may stream.",
    "UNSUBSCRIBED": "No subscription (never had one, or it ended or was cancelled); may not stream.",
    "PAST_DUE": "A renewal payment failed; Stripe is retrying. May not stream until it is paid.",
}
for _value in UserStatus.__strawberry_definition__.values:  # a model enum: its values are described here
    _value.description = _STATUS[_value.name]

ClientOnly = "Client token of the user's tenant."
USER_ERRORS = ("UNAUTHENTICATED or INVALID_AUTH_TOKEN (no, or a bad, token), FORBIDDEN (not a client token)")
UserId = Annotated[strawberry.ID, strawberry.argument(description="The user's id (UUID); another tenant's is "
                                                                  "NOT_FOUND.")]
D = strawberry.field


@strawberry.type(description="A user (listener) of a tenant.")
class User:
    id: strawberry.ID = D(description="The user's id (UUID).")
    first_name: str = D(description="Given name (1..255 characters).")
    last_name: str = D(description="Family name (1..255 characters).")
    email: str = D(description="Email address, unique in the tenant (case-insensitive); the sign-in address.")
    date_of_birth: date = D(description="Date of birth (YYYY-MM-DD), in the past.")
    status: UserStatus = D(description="Subscription state.")  # type: ignore[valid-type]
    subscription_ends_at: datetime | None = D(description="When the paid period ends (UTC); null without a "
                                                          "subscription.")
    pm_type: str | None = D(description="Brand of the payment card on file, e.g. `visa`; null when none.")
    pm_last_four: str | None = D(description="Last four digits of that card; null when none.")
    created_at: datetime = D(description="When the user was created (UTC).")
    updated_at: datetime = D(description="When the user last changed (UTC).")

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


@strawberry.type(description="One page of users, oldest first, as REST's Laravel paginator.")
class UserPage:
    data: list[User] = D(description="The users of this page (at most perPage).")
    meta: PageMeta = D(description="Page numbers and totals.")


@strawberry.input(description="A new user. Errors: VALIDATION_FAILED naming the field (REST names: "
                  "`first_name`, ...), e.g. an email already used in the tenant.")
class CreateUserInput:
    first_name: str = D(description="Given name (1..255 characters).")
    last_name: str = D(description="Family name (1..255 characters).")
    email: str = D(description="Email address, unique in the tenant (case-insensitive).")
    date_of_birth: str = D(description="YYYY-MM-DD, in the past.")


@strawberry.input(description="Partial: only the fields given change; an explicit null is VALIDATION_FAILED.")
class UpdateUserInput:
    first_name: str | None = D(default=strawberry.UNSET, description="Given name (1..255 characters).")
    last_name: str | None = D(default=strawberry.UNSET, description="Family name (1..255 characters).")
    email: str | None = D(default=strawberry.UNSET, description="Email address, unique in the tenant.")
    date_of_birth: str | None = D(default=strawberry.UNSET, description="YYYY-MM-DD, in the past.")


@strawberry.type
class UsersQuery:
    @strawberry.field(description="Users of the caller's tenant, oldest first (client token). Errors: "
                      + USER_ERRORS + ", VALIDATION_FAILED (page or perPage out of range).")
    async def users(self, info: Info,
                    page: Annotated[int, strawberry.argument(description="1-based page number.")] = 1,
                    per_page: Annotated[int, strawberry.argument(description="Users per page (1..100, default "
                                                                             "15).")] = 15) -> UserPage:
        result = await resolvers.users(info.context, Submitted(PageArgs, {"page": page, "per_page": per_page}))
        return UserPage(data=[User.of(u) for u in result.items], meta=PageMeta.of(result))

    @strawberry.field(description="Users of the caller's tenant, oldest first, as a keyset (cursor) connection: "
                                  "for walking all of them (client token). Errors: " + USER_ERRORS + ", "
                                  + CURSOR_ERRORS + ".")
    async def users_connection(self, info: Info, first: First = 15, after: After = None) -> Connection[User]:
        page = await resolvers.walk_users(info.context, cursor_args(first, after))
        return Connection.of(page, User.of)

    @strawberry.field(description="One user of the caller's tenant (client token). Errors: " + USER_ERRORS
                      + ", NOT_FOUND (no such user in the tenant).")
    async def user(self, info: Info, id: UserId) -> User:
        return User.of(await resolvers.user(info.context, entity_id(id)))


@strawberry.type
class UsersMutation:
    @strawberry.mutation(description="Creates a user in the caller's tenant (client token), UNSUBSCRIBED. "
                         "Errors: " + USER_ERRORS + ", VALIDATION_FAILED (a field missing or invalid, the email "
                         "taken).")
    async def create_user(self, info: Info,
                          input: Annotated[CreateUserInput, strawberry.argument(description="The new user.")]) -> User:
        return User.of(await resolvers.create_user(info.context, submitted(UserCreate, input)))

    @strawberry.mutation(description="Changes a user of the caller's tenant (client token). Errors: "
                         + USER_ERRORS + ", NOT_FOUND, VALIDATION_FAILED.")
    async def update_user(self, info: Info, id: UserId,
                          input: Annotated[UpdateUserInput, strawberry.argument(description="The fields to "
                                                                                            "change.")]) -> User:
        return User.of(await resolvers.update_user(info.context, entity_id(id), submitted(UserUpdate, input)))

    @strawberry.mutation(description="Deletes the user and everything that belongs to them (client token). True "
                         "when done. Errors: " + USER_ERRORS + ", NOT_FOUND.")
    async def delete_user(self, info: Info, id: UserId) -> bool:
        await resolvers.delete_user(info.context, entity_id(id))
        return True
