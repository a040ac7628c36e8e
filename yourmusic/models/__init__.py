"""Tortoise models. Every tenant-owned table carries a `tenant` foreign key."""

from yourmusic.models.auth import EmailOtp, OnboardingToken, RefreshFamily, RefreshToken
from yourmusic.models.home import HomePage
from yourmusic.models.playlists import Playlist, PlaylistTrack
from yourmusic.models.tenancy import ApiClient, Tenant
from yourmusic.models.users import User, UserStatus

__all__ = [
    "ApiClient",
    "EmailOtp",
    "HomePage",
    "OnboardingToken",
    "Playlist",
    "PlaylistTrack",
    "RefreshFamily",
    "RefreshToken",
    "Tenant",
    "User",
    "UserStatus",
]
