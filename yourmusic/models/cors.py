"""The web origins each tenant's front-ends call the API from (CORS).

(Comments, not docstrings, on the models: Tortoise copies a model's docstring into SQL comments.)
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant
from yourmusic.security.origins import MAX_ORIGIN_LENGTH


# One allowed origin of one tenant, normalised (`security/origins.py`): `https://app.example:8443`.
class CorsOrigin(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="cors_origins", on_delete=fields.CASCADE
    )
    origin = fields.CharField(max_length=MAX_ORIGIN_LENGTH)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cors_origins"
        unique_together = (("tenant", "origin"),)  # also the tenant-first index the tenant's list reads
