"""Passwordless sign-in state: email codes, onboarding tokens, refresh-token families.

Nothing here stores a secret in the clear: codes are kept as an HMAC (keyed, so a leaked table
cannot be brute-forced offline over the 10^6 codes), random tokens as a SHA-256 digest.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant
from yourmusic.models.users import User


class EmailOtp(Model):
    """The current sign-in code of one address in one tenant.

    One row per (tenant, address): issuing a code overwrites the previous one, so only the newest
    code can ever match. `attempts` counts tries; a right code deletes the row (single use).
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="email_otps", on_delete=fields.CASCADE
    )
    email_key = fields.CharField(max_length=255)
    code_hash = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "email_otps"
        unique_together = (("tenant", "email_key"),)


class OnboardingToken(Model):
    """Proof that an address without an account passed the code check (single use, short-lived).

    Carries the device of the sign-in, since signup's body does not name one. Signup deletes it.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="onboarding_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=255)
    email_key = fields.CharField(max_length=255, db_index=True)
    device_id = fields.UUIDField()
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "onboarding_tokens"


class RefreshFamily(Model):
    """One sign-in on one device: every refresh token rotated from it, and its access tokens (`fam`).

    `expires_at` is fixed at sign-in (rotation never extends it); revoking the family ends every
    token descended from that sign-in. Deleting the user deletes its families and their tokens.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="refresh_families", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refresh_families", on_delete=fields.CASCADE, db_index=True
    )
    device_id = fields.UUIDField()
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=16, null=True)  # logout | reuse
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_families"


class RefreshToken(Model):
    """One refresh token of a family. `used_at` is set when it is rotated (presenting it again is reuse)."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    family: fields.ForeignKeyRelation[RefreshFamily] = fields.ForeignKeyField(
        "models.RefreshFamily", related_name="tokens", on_delete=fields.CASCADE, db_index=True
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_tokens"
