"""Tenants and their API clients (the tenant backends that hold client credentials)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Tenant(Model):
    id = fields.UUIDField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=255)
    # Set by `yourmusic tenant revoke`: its clients get no token and every token of the tenant stops working.
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tenants"


class ApiClient(Model):
    """A tenant backend's OAuth2 client. Only a SHA-256 of the (256-bit random) secret is stored."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="clients", on_delete=fields.CASCADE
    )
    client_id = fields.CharField(max_length=64, unique=True)
    secret_hash = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255, default="")
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_clients"
