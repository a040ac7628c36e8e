"""Users of a tenant: listing, creation, partial updates, deletion."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import EmailStr
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from yourmusic.errors import ValidationFailed
from yourmusic.models import User
from yourmusic.pagination import Page, PageArgs, paginate
from yourmusic.services.scoping import get_of_tenant, of_tenant
from yourmusic.validation import Input, Name, PastDate, given, parse


class UserCreate(Input):
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


async def list_users(tenant_id: uuid.UUID, args: dict[str, Any]) -> Page[User]:
    page = parse(PageArgs, args)
    return await paginate(of_tenant(User, tenant_id).order_by("created_at", "id"), page)


async def get_user(tenant_id: uuid.UUID, user_id: Any) -> User:
    return await get_of_tenant(User, tenant_id, user_id, what="User")


async def create_user(tenant_id: uuid.UUID, data: Any) -> User:
    body = parse(UserCreate, data)
    if await _email_taken(tenant_id, body.email):
        raise ValidationFailed(_TAKEN.errors)
    try:
        return await User.create(tenant_id=tenant_id, email_key=email_key(body.email), **body.model_dump())
    except IntegrityError:  # a concurrent create won the race for this email
        raise ValidationFailed(_TAKEN.errors) from None


async def update_user(tenant_id: uuid.UUID, user_id: Any, data: Any, *, model: type[Input] = UserUpdate) -> User:
    user = await get_user(tenant_id, user_id)
    changes = given(parse(model, data))
    if not changes:
        return user
    if "email" in changes:
        if await _email_taken(tenant_id, changes["email"], except_id=user.id):
            raise ValidationFailed(_TAKEN.errors)
        changes["email_key"] = email_key(changes["email"])
    user.update_from_dict(changes)
    try:
        await user.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        raise ValidationFailed(_TAKEN.errors) from None
    return user


async def delete_user(tenant_id: uuid.UUID, user_id: Any) -> None:
    user = await get_user(tenant_id, user_id)
    async with in_transaction():
        await user.delete()
