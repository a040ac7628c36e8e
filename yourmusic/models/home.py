"""A tenant's configured home page: a title and an ordered list of module definitions (JSON)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant


class HomePage(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "models.Tenant", related_name="home_page", on_delete=fields.CASCADE
    )
    slug = fields.CharField(max_length=64, default="home")
    title = fields.CharField(max_length=255)
    # [{"id", "type", "title", "position", ...type-specific source}]: validated on write (services/home.py)
    modules = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "home_pages"
