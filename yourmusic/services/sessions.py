"""Sign-in sessions: refresh-token families with rotation and reuse detection, onboarding tokens,
and the revocation check every session access token passes.

- A sign-in opens a family (user + device, absolute expiry fixed at sign-in). Its access tokens are
  JWTs carrying the family id (`fam`); its refresh tokens are opaque 256-bit random strings stored
  as SHA-256 digests.
- Refreshing spends the presented token and issues the next one of the same family. Presenting a
  spent token again within SESSION_REFRESH_REUSE_INTERVAL seconds of its first use answers another
  working session of the family (a retry after a lost answer, two concurrent refreshes); later it is
  reuse (it leaked, or was replayed): the whole family is revoked, so the legitimate holder and the
  thief are both signed out (Auth0's rule).
- Whether a family is still live is cached for a few seconds in the shared cache, so a revoked
  family's access tokens stop working within that time everywhere, and at once on the instance
  (or Redis) that revoked it.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yourmusic.cache import CacheStore, shared_get, shared_set
from yourmusic.errors import InvalidAuthToken
from yourmusic.models import OnboardingToken, RefreshFamily, RefreshToken, User
from yourmusic.security.secrets import digest, new_secret
from yourmusic.security.tokens import TokenService

log = logging.getLogger("yourmusic.sessions")

REFRESH_PREFIX = "ymr_"
ONBOARDING_PREFIX = "ymo_"


class InvalidRefreshToken(InvalidAuthToken):
    default_message = "The refresh token is invalid, expired or revoked."


class InvalidOnboardingToken(InvalidAuthToken):
    default_message = "The onboarding token is invalid, expired or already used."


class SessionRevoked(InvalidAuthToken):
    default_message = "The session has ended."


class UserGone(InvalidAuthToken):
    """The token's user was deleted (or never existed in the token's tenant)."""


class Session(BaseModel):
    """A signed-in session: a short-lived access token and a rotating refresh token, for `user`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    token_type: str = Field(default="Bearer", examples=["Bearer"])
    access_token: str
    expires_in: int = Field(description="Seconds the access token stays valid.", examples=[3600])
    refresh_token: str
    refresh_expires_in: int = Field(description="Seconds until the session's absolute end.", examples=[2592000])
    user: User


class OnboardingRequired(BaseModel):
    """The code was right but the address has no account yet: sign up with this token."""

    model_config = ConfigDict(frozen=True)

    onboarding_token: str = Field(description="Single use; exchange it for an account at signup.")
    onboarding_expires_in: int = Field(description="Seconds the onboarding token stays valid.", examples=[900])
    email: str


@dataclass(frozen=True)
class Onboarding:
    """A consumed onboarding token: who passed the code check, where, on which device."""

    tenant_id: uuid.UUID
    email: str
    email_key: str
    device_id: uuid.UUID


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.floor((moment - now).total_seconds()))


class SessionService:
    def __init__(
        self,
        tokens: TokenService,
        cache: CacheStore,
        *,
        access_ttl: int,
        refresh_ttl: int,
        onboarding_ttl: int,
        revocation_cache_ttl: int,
        reuse_interval: float = 0,
    ) -> None:
        self._tokens = tokens
        self._store = cache  # the user check: its in-process L1 makes a warm check free of any await
        self._cache = cache.backend  # the family check: always the shared cache (revocation is seen at once)
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.onboarding_ttl = onboarding_ttl
        self._cache_ttl = revocation_cache_ttl
        self.reuse_interval = reuse_interval  # seconds a spent refresh token may be presented again

    # ------------------------------------------------------------------ sessions

    async def start(self, tenant_id: uuid.UUID, user: User, device_id: uuid.UUID) -> Session:
        """A new family for this user on this device, and its first tokens."""
        now = _now()
        await RefreshFamily.filter(expires_at__lte=now).delete()  # housekeeping: past their absolute life
        family = await RefreshFamily.create(
            tenant_id=tenant_id, user_id=user.id, device_id=device_id,
            expires_at=now + timedelta(seconds=self.refresh_ttl),
        )
        return await self._issue(family, user, now, refresh_expires_in=self.refresh_ttl)

    async def _issue(self, family: RefreshFamily, user: User, now: datetime, *, refresh_expires_in: int) -> Session:
        refresh = REFRESH_PREFIX + new_secret(32)
        await RefreshToken.create(tenant_id=family.tenant_id, family_id=family.id, token_hash=digest(refresh))
        # An access token never outlives its family (only matters in a family's last hour).
        access_ttl = max(1, min(self.access_ttl, refresh_expires_in))
        access = self._tokens.issue(
            "access", family.tenant_id, str(user.id), access_ttl, device_id=family.device_id, family_id=family.id
        )
        return Session(
            access_token=access, expires_in=access_ttl, refresh_token=refresh,
            refresh_expires_in=refresh_expires_in, user=user,
        )

    async def refresh(self, refresh_token: str) -> Session:
        """Rotate: spend this refresh token, issue the next of its family.

        Presenting a spent token again within `reuse_interval` seconds of its first use (a client retrying
        after a lost answer, two tabs refreshing at once) yields another working session of the same
        family; later, it is reuse and revokes the family (Auth0's "reuse interval", Okta's "grace period").
        """
        now = _now()
        row = await RefreshToken.get_or_none(token_hash=digest(refresh_token)).select_related("family")
        if row is None:
            raise InvalidRefreshToken()
        family: RefreshFamily = row.family
        if family.revoked_at is not None or family.expires_at <= now:
            raise InvalidRefreshToken()
        used_at = row.used_at
        if used_at is None:
            # Only one presenter can spend a token, even when two arrive at the same moment.
            if await RefreshToken.filter(id=row.id, used_at=None).update(used_at=now) != 1:
                used_at = await RefreshToken.filter(id=row.id).first().values_list("used_at", flat=True)
                if used_at is None:  # the family (and the token) went meanwhile
                    raise InvalidRefreshToken()
        if used_at is not None:
            # Interval 0: no grace at all (a concurrent presenter may have spent it a moment "after" `now`).
            if self.reuse_interval <= 0 or (now - used_at).total_seconds() > self.reuse_interval:
                await self._reuse_detected(family)
            log.info("refresh token presented again within the reuse interval: family %s", family.id)
        user = await User.get_or_none(id=family.user_id, tenant_id=family.tenant_id)  # type: ignore[attr-defined]
        if user is None:  # deleted meanwhile (its families go with it)
            raise InvalidRefreshToken()
        return await self._issue(family, user, now, refresh_expires_in=_seconds_until(family.expires_at, now))

    async def _reuse_detected(self, family: RefreshFamily) -> None:
        log.warning("refresh token reuse: family %s of tenant %s revoked", family.id, family.tenant_id)
        await self.revoke_family(family.id, "reuse")
        raise InvalidRefreshToken()

    async def logout(self, refresh_token: str) -> None:
        """End the family of this token; silently nothing for a token that is unknown."""
        if not refresh_token or len(refresh_token) > 512:
            return
        row = await RefreshToken.get_or_none(token_hash=digest(refresh_token))
        if row is not None:
            await self.revoke_family(row.family_id, "logout")  # type: ignore[attr-defined]

    async def revoke_family(self, family_id: uuid.UUID, reason: str) -> None:
        await RefreshFamily.filter(id=family_id, revoked_at=None).update(revoked_at=_now(), revoked_reason=reason)
        await self._remember(family_id, None)

    # ------------------------------------------------------------------ user-token check

    def _cache_key(self, family_id: uuid.UUID) -> str:
        return f"session-family:{family_id}"

    def _user_key(self, user_id: uuid.UUID) -> str:
        return f"token-user:{user_id}"

    async def _remember(self, family_id: uuid.UUID, state: dict[str, Any] | None) -> None:
        """Cache the family's state; `None` records "not live" (revoked, expired or gone)."""
        await shared_set(self._cache, self._cache_key(family_id), state or {"live": False}, self._cache_ttl)

    async def _family_state(self, family_id: uuid.UUID) -> dict[str, Any]:
        family = await RefreshFamily.get_or_none(id=family_id)
        if family is None or family.revoked_at is not None:
            state: dict[str, Any] = {"live": False}
        else:
            state = {
                "live": True,
                "tenant": str(family.tenant_id),
                "user": str(family.user_id),  # type: ignore[attr-defined]
                "device": str(family.device_id),
                "expires": family.expires_at.timestamp(),
            }
        await self._remember(family_id, state)
        return state

    async def _user_state(self, user_id: uuid.UUID) -> dict[str, Any]:
        tenant_id = await User.filter(id=user_id).first().values_list("tenant_id", flat=True)
        state = {"live": True, "tenant": str(tenant_id)} if tenant_id is not None else {"live": False}
        await self._store.put(self._user_key(user_id), state, self._cache_ttl)
        return state

    async def user_deleted(self, user_id: uuid.UUID) -> None:
        """Record at once that this user's tokens (UDTs and sessions) are dead: here and in the shared
        cache at once, on other instances within their L1's life (2 s with Redis)."""
        await self._store.put(self._user_key(user_id), {"live": False}, self._cache_ttl)

    async def ensure_live(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, device_id: uuid.UUID | None, family_id: uuid.UUID | None
    ) -> None:
        """INVALID_AUTH_TOKEN unless the token's user still exists in its tenant and, for a session access
        token, its family exists, is not revoked or expired, and is the token's.

        Both answers are cached for SESSION_REVOCATION_CACHE_TTL seconds; the database is read only on a
        miss. The user's answer is read through the cache store's in-process L1 (the catalog's hot path
        with a UDT pays a dictionary lookup), the family's from the shared cache on every request.
        """
        entry = await self._store.get_entry(self._user_key(user_id))
        user = entry["v"] if self._store.is_fresh(entry) else await self._user_state(user_id)  # type: ignore[index]
        if not user.get("live") or user.get("tenant") != str(tenant_id):
            raise UserGone()
        if family_id is None:
            return
        state = await shared_get(self._cache, self._cache_key(family_id)) or await self._family_state(family_id)
        if (
            not state.get("live")
            or state.get("tenant") != str(tenant_id)
            or state.get("user") != str(user_id)
            or state.get("device") != str(device_id)
            or float(state.get("expires", 0)) <= _now().timestamp()
        ):
            raise SessionRevoked()

    # ------------------------------------------------------------------ onboarding

    async def new_onboarding(self, tenant_id: uuid.UUID, email: str, email_key: str, device_id: uuid.UUID) -> OnboardingRequired:
        now = _now()
        await OnboardingToken.filter(expires_at__lte=now).delete()  # housekeeping
        token = ONBOARDING_PREFIX + new_secret(32)
        await OnboardingToken.create(
            tenant_id=tenant_id, token_hash=digest(token), email=email, email_key=email_key,
            device_id=device_id, expires_at=now + timedelta(seconds=self.onboarding_ttl),
        )
        return OnboardingRequired(onboarding_token=token, onboarding_expires_in=self.onboarding_ttl, email=email)

    async def consume_onboarding(self, token: str) -> Onboarding:
        """Single use: of two concurrent presenters exactly one gets it."""
        now = _now()
        row = await OnboardingToken.get_or_none(token_hash=digest(token))
        if row is None or row.expires_at <= now:
            raise InvalidOnboardingToken()
        taken = await OnboardingToken.filter(id=row.id, expires_at__gt=now).delete()
        if taken != 1:
            raise InvalidOnboardingToken()
        return Onboarding(
            tenant_id=row.tenant_id, email=row.email, email_key=row.email_key,  # type: ignore[attr-defined]
            device_id=row.device_id,
        )
