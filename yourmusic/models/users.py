"""End users of a tenant."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant


class UserStatus(StrEnum):
    SUBSCRIBED = "SUBSCRIBED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    PAST_DUE = "PAST_DUE"


class User(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="users", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=255)
    # Lower-cased copy: emails are unique per tenant without regard to case, on every database.
    email_key = fields.CharField(max_length=255)
    first_name = fields.CharField(max_length=255)
    last_name = fields.CharField(max_length=255)
    date_of_birth = fields.DateField()
    status = fields.CharEnumField(UserStatus, max_length=16, default=UserStatus.UNSUBSCRIBED)
    subscription_ends_at = fields.DatetimeField(null=True)
    pm_type = fields.CharField(max_length=32, null=True)
    pm_last_four = fields.CharField(max_length=4, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
        unique_together = (("tenant", "email_key"),)
        ordering = ["created_at", "id"]
        # The tenant's list in its order (`GET /api/users`): page and count read this index only.
        indexes = (("tenant_id", "created_at", "id"),)
