"""Users of a tenant: listing, creation, partial updates, deletion.

Inputs are the domain's models below (validated by the transports through `validation.Submitted`);
answers are `models.User` rows, which each transport shapes.
"""

from __future__ import annotations

import uuid
from pydantic import EmailStr
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from yourmusic.errors import ValidationFailed
from yourmusic.live.events import publish, user_changed
from yourmusic.models import User
from yourmusic.pagination import CursorArgs, CursorPage, Cursors, Page, PageArgs, keyset, paginate
from yourmusic.services.scoping import get_of_tenant, of_tenant
from yourmusic.validation import Input, Name, PastDate, given


class UserCreate(Input):
    """A new user of a tenant: names, a unique (per tenant, case-insensitive) email, a past birth date."""

    first_name: Name
    last_name: Name
    email: EmailStr
    date_of_birth: PastDate


class UserUpdate(Input):
    """Partial: only the fields sent change; an explicit null is refused, not stored."""

    first_name: Name = None  # type: ignore[assignment]
    last_name: Name = None  # type: ignore[assignment]
    email: EmailStr = None  # type: ignore[assignment]
    date_of_birth: PastDate = None  # type: ignore[assignment]


class ProfileUpdate(Input):
    """What a user may change about themself (the email is managed by the tenant)."""

    first_name: Name = None  # type: ignore[assignment]
    last_name: Name = None  # type: ignore[assignment]
    date_of_birth: PastDate = None  # type: ignore[assignment]


def email_key(email: str) -> str:
    return email.strip().lower()


async def _email_taken(tenant_id: uuid.UUID, email: str, *, except_id: uuid.UUID | None = None) -> bool:
    query = of_tenant(User, tenant_id).filter(email_key=email_key(email))
    if except_id is not None:
        query = query.exclude(id=except_id)
    return await query.exists()


_TAKEN = ValidationFailed.field("email", "The email has already been taken.")


USER_ORDER = ("created_at", "id")  # the tenant's list; index (tenant_id, created_at, id)


async def list_users(tenant_id: uuid.UUID, page: PageArgs) -> Page[User]:
    """One page of the tenant's users, oldest first."""
    return await paginate(of_tenant(User, tenant_id), page, USER_ORDER)


async def walk_users(tenant_id: uuid.UUID, args: CursorArgs, cursors: Cursors) -> CursorPage[User]:
    """The tenant's users after a cursor, oldest first; InvalidCursor for one not issued for this
    tenant's list."""
    return await keyset(of_tenant(User, tenant_id), args, USER_ORDER, cursors, f"users:{tenant_id}")


async def get_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """The user, or NotFound (also for another tenant's)."""
    return await get_of_tenant(User, tenant_id, user_id, what="User")


async def create_user(tenant_id: uuid.UUID, body: UserCreate) -> User:
    """The new user; ValidationFailed (`email`) when the address is taken in this tenant."""
    if await _email_taken(tenant_id, body.email):
        raise ValidationFailed(_TAKEN.errors)
    try:
        return await User.create(tenant_id=tenant_id, email_key=email_key(body.email), **body.model_dump())
    except IntegrityError:  # a concurrent create won the race for this email
        raise ValidationFailed(_TAKEN.errors) from None


async def update_user(user: User, update: UserUpdate | ProfileUpdate) -> User:
    """The user with the fields `update` was given changed (none given: unchanged, not saved)."""
    changes = given(update)
    if not changes:
        return user
    if "email" in changes:
        if await _email_taken(user.tenant_id, changes["email"], except_id=user.id):  # type: ignore[attr-defined]
            raise ValidationFailed(_TAKEN.errors)
        changes["email_key"] = email_key(changes["email"])
    user.update_from_dict(changes)
    try:
        await user.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        raise ValidationFailed(_TAKEN.errors) from None
    await publish(user_changed(user.tenant_id, user.id))  # type: ignore[attr-defined]
    return user


async def delete_user(tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Deletes the user and what is theirs (cascade); NotFound as `get_user`."""
    user = await get_user(tenant_id, user_id)
    async with in_transaction():
        await user.delete()
        await publish(user_changed(tenant_id, user_id))  # after the commit
