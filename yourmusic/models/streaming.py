"""Plays: a start recorded per manifest served, and the finished-play reports forwarded to the aggregator."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant
from yourmusic.models.users import User


# One manifest served to one user on one device. A deleted user's rows keep their data (user NULL):
# the plays still count for the catalog's royalties.
# (Comments, not docstrings: Tortoise copies a model's docstring into the table's SQL comment.)
class PlayStart(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="play_starts", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="play_starts", on_delete=fields.SET_NULL, null=True
    )
    device_id = fields.UUIDField(null=True)
    track_id = fields.CharField(max_length=64)
    stream_id = fields.UUIDField()
    started_at = fields.DatetimeField()

    class Meta:
        table = "play_starts"
        indexes = (("user_id", "stream_id", "started_at"), ("tenant_id", "started_at"))


# A finished play reported by a device (POST /api/plays), stored first and forwarded to the aggregator's
# play log later in batches. `forwarded_at` NULL: not yet accepted upstream; `next_attempt_at` is when
# a forwarder may take it (backoff after failures; a claim pushes it forward); `claim` marks the batch
# a forwarder took, so two workers never send the same row at once.
class PlayReport(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="play_reports", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="play_reports", on_delete=fields.SET_NULL, null=True
    )
    play_start: fields.ForeignKeyNullableRelation[PlayStart] = fields.ForeignKeyField(
        "models.PlayStart", related_name="reports", on_delete=fields.SET_NULL, null=True
    )
    device_id = fields.UUIDField(null=True)
    stream_id = fields.UUIDField()
    track_id = fields.CharField(max_length=64)
    play_mode = fields.CharField(max_length=16)  # online | offline | online-cached
    total_time_played = fields.IntField()  # seconds
    played_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    forwarded_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claim = fields.UUIDField(null=True)
    last_error = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "play_reports"
        unique_together = (("user", "stream_id", "played_at"),)
        indexes = (("forwarded_at", "next_attempt_at"), ("claim",))
