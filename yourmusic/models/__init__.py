"""Tortoise models. Every tenant-owned table carries a `tenant` foreign key."""

from yourmusic.models.tenancy import ApiClient, Tenant
from yourmusic.models.users import User, UserStatus

__all__ = ["ApiClient", "Tenant", "User", "UserStatus"]
