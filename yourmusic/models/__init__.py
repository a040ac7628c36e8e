"""Tortoise models. Every tenant-owned table carries a `tenant` foreign key."""

from yourmusic.models.auth import EmailOtp, OnboardingToken, RefreshFamily, RefreshToken
from yourmusic.models.billing import BillingProfile, BillingSettings, Product, StripeEvent
from yourmusic.models.cors import CorsOrigin
from yourmusic.models.home import HomePage
from yourmusic.models.playlists import Playlist, PlaylistTrack
from yourmusic.models.streaming import PlayReport, PlayStart
from yourmusic.models.tenancy import ApiClient, Tenant
from yourmusic.models.users import User, UserStatus

__all__ = [
    "ApiClient",
    "BillingProfile",
    "BillingSettings",
    "CorsOrigin",
    "EmailOtp",
    "HomePage",
    "OnboardingToken",
    "Playlist",
    "PlaylistTrack",
    "PlayReport",
    "PlayStart",
    "Product",
    "RefreshFamily",
    "RefreshToken",
    "StripeEvent",
    "Tenant",
    "User",
    "UserStatus",
]
