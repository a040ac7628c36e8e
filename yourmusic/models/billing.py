"""Billing: products per tenant, redirect settings, each user's Stripe customer and subscription
state, and every Stripe event received (stored by its id before it is applied).

(Comments, not docstrings, on the models: Tortoise copies a model's docstring into SQL comments.)
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant
from yourmusic.models.users import User


# A subscription product of a tenant: what a user can check out (one Stripe price).
class Product(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="products", on_delete=fields.CASCADE
    )
    slug = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    stripe_price_id = fields.CharField(max_length=255)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "products"
        unique_together = (("tenant", "slug"),)
        indexes = (("tenant_id", "created_at", "id"),)  # the tenant's products in list order


# A tenant's checkout redirects: the allowed URL patterns and the default success/cancel URLs.
class BillingSettings(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "models.Tenant", related_name="billing_settings", on_delete=fields.CASCADE
    )
    redirect_patterns = fields.JSONField(default=list)  # ["https://app.example/billing/*", ...]
    success_url = fields.CharField(max_length=2048, null=True)
    cancel_url = fields.CharField(max_length=2048, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_settings"


# One user's link to Stripe: the customer (made once, after Stripe answered), the subscription the
# user's status follows, and the ordering key of the state applied last (`state_at` = the applied
# event's `created`, `state_rank` breaks ties within one second: 1 active, 2 past due, 3 ended).
class BillingProfile(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="billing_profiles", on_delete=fields.CASCADE
    )
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="billing_profile", on_delete=fields.CASCADE
    )
    stripe_customer_id = fields.CharField(max_length=255, unique=True)
    stripe_subscription_id = fields.CharField(max_length=255, null=True)
    state_at = fields.BigIntField(null=True)
    state_rank = fields.SmallIntField(default=0)
    pm_state_at = fields.BigIntField(null=True)  # the same, for the card (pm_type, pm_last4) alone
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_profiles"


# A Stripe event as received (unique by Stripe's id: a redelivery finds it). `status`: received ->
# processed | ignored (or failed, retried by the next delivery). The tenant is set once resolved.
class StripeEvent(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyNullableRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="stripe_events", on_delete=fields.CASCADE, null=True
    )
    event_id = fields.CharField(max_length=255, unique=True)
    type = fields.CharField(max_length=128)
    created = fields.BigIntField()  # the event's own timestamp (epoch seconds)
    payload = fields.JSONField()
    status = fields.CharField(max_length=16, default="received")
    detail = fields.CharField(max_length=255, default="")
    user_id = fields.UUIDField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "stripe_events"
