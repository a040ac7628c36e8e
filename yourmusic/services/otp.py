"""Email sign-in codes in the database: issue (replacing the address's previous code) and verify.

Verification reserves an attempt atomically before it compares, so however many guesses arrive at
once, a code is compared at most `max_attempts` times; a right code is consumed by a conditional
delete, so it signs in at most once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from yourmusic.errors import InvalidAuthToken
from yourmusic.models import EmailOtp
from yourmusic.security.otp import OtpHasher, new_code

_NO_TENANT = uuid.UUID(int=0)


class InvalidCode(InvalidAuthToken):
    default_message = "The verification code is invalid or has expired."


class OtpService:
    def __init__(self, hasher: OtpHasher, *, ttl: int, max_attempts: int) -> None:
        self._hasher = hasher
        self.ttl = ttl
        self.max_attempts = max_attempts
        # Compared against when there is no code at all, so a miss costs what a hit costs.
        self._dummy = hasher.digest(_NO_TENANT, "", "no-code")

    async def issue(self, tenant_id: uuid.UUID, email_key: str) -> str:
        """A fresh code for this address; the previous one (if any) stops matching at once."""
        code = new_code()
        now = datetime.now(UTC)
        await EmailOtp.filter(expires_at__lt=now).delete()  # housekeeping: dead codes of any address
        values = {
            "code_hash": self._hasher.digest(tenant_id, email_key, code),
            "attempts": 0,
            "expires_at": now + timedelta(seconds=self.ttl),
            "created_at": now,
        }
        current = EmailOtp.filter(tenant_id=tenant_id, email_key=email_key)
        if not await current.update(**values):
            try:
                await EmailOtp.create(tenant_id=tenant_id, email_key=email_key, **values)
            except IntegrityError:  # a concurrent request made the row first: replace its code
                await current.update(**values)
        return code

    async def verify(self, tenant_id: uuid.UUID | None, email_key: str, code: str) -> None:
        """Consume the code or raise INVALID_AUTH_TOKEN (wrong, expired, used, superseded or spent)."""
        row = None if tenant_id is None else await EmailOtp.get_or_none(tenant_id=tenant_id, email_key=email_key)
        if row is None:
            self._hasher.matches(_NO_TENANT, email_key, code, self._dummy)
            raise InvalidCode()
        now = datetime.now(UTC)
        live = EmailOtp.filter(
            id=row.id, code_hash=row.code_hash, expires_at__gt=now, attempts__lt=self.max_attempts
        )
        reserved = await live.update(attempts=F("attempts") + 1)
        matched = self._hasher.matches(row.tenant_id, email_key, code, row.code_hash)  # type: ignore[attr-defined]
        if not reserved or not matched:
            raise InvalidCode()
        consumed = await EmailOtp.filter(id=row.id, code_hash=row.code_hash).delete()
        if consumed != 1:
            raise InvalidCode()
