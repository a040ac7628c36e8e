"""Passwordless sign-in by email code (contract #10-#14): the flow a front-end runs.

request a code -> authenticate with it -> a session (known address) or an onboarding token
(unknown address) -> signup -> a session; then refresh (rotation) and logout.

No answer tells whether an address has an account: requesting a code answers the same 200 for
every address and tenant (the mail leaves off the request path), and every way a code can fail
(wrong, expired, used, superseded, spent, unknown tenant) is the same 401.

Inputs are the domain models below (the transports validate them through `validation.Submitted`,
after `throttle`: a flood of malformed requests still spends the caller's budget); answers are the
session values of `services.sessions`, which each transport shapes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints
from pydantic_core import PydanticCustomError

from yourmusic.errors import ValidationFailed
from yourmusic.integrations.mail import MailDispatcher, MailMessage, render_otp_email
from yourmusic.models import Tenant, User
from yourmusic.services.otp import InvalidCode, OtpService
from yourmusic.services.ratelimit import RateLimiter
from yourmusic.services.scoping import of_tenant
from yourmusic.services.sessions import OnboardingRequired, Session, SessionService
from yourmusic.services.tenancy import get_tenant_by_slug
from yourmusic.services.users import UserCreate, create_user, email_key
from yourmusic.validation import Input, Name, PastDate

log = logging.getLogger("yourmusic.passwordless")

OTP_REQUESTED = "If that email address is valid, a verification code has been sent."


def _at_most(n: int):  # noqa: ANN202
    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value.strip()) > n:
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": n}
            )
        return value

    return BeforeValidator(check)


TenantSlug = Name
Email = Annotated[EmailStr, _at_most(255), Field(json_schema_extra={"maxLength": 255})]  # documented too
Locale = Literal["en", "nl", "fr"]


class OtpRequest(Input):
    """Who wants a sign-in code: the tenant's slug, an address, the mail's language."""

    tenant: TenantSlug
    email: Email
    locale: Locale = "en"


class OtpAuthenticate(Input):
    """A sign-in code as typed, for an address of a tenant, on one device."""

    tenant: TenantSlug
    email: Email
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    device_id: uuid.UUID


class SignupRequest(Input):
    """The account an onboarding token asks for (its address comes from the token)."""

    onboarding_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    first_name: Name
    last_name: Name
    date_of_birth: PastDate


class RefreshRequest(Input):
    """A refresh token to rotate."""

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class LogoutRequest(Input):
    """Any string is accepted (and answered 204): only a missing or non-string token is a 422."""

    refresh_token: str


class PasswordlessService:
    def __init__(
        self,
        otp: OtpService,
        sessions: SessionService,
        limiter: RateLimiter,
        mail: MailDispatcher,
        *,
        mail_from: str,
        mail_from_tenants: Mapping[str, str],
        send_interval: int,
        sends_per_window: int,
        sends_window: int,
        ip_limit: int,
        ip_window: int,
    ) -> None:
        self.otp = otp
        self.sessions = sessions
        self._limiter = limiter
        self._mail = mail
        self._mail_from = mail_from
        self._mail_from_tenants = dict(mail_from_tenants)
        self._send_interval = send_interval
        self._sends_per_window = sends_per_window
        self._sends_window = sends_window
        self._ip_limit = ip_limit
        self._ip_window = ip_window

    async def throttle(self, client_ip: str) -> None:
        """One budget per client address for both OTP endpoints together; RateLimited (429) past it.
        Called before the body is validated, so malformed requests count too."""
        await self._limiter.hit(f"otp-ip:{client_ip}", self._ip_limit, self._ip_window)

    # ------------------------------------------------------------------ #10

    async def request_code(self, body: OtpRequest) -> str:
        """Issues and mails a code when the tenant exists; the same message for every address and tenant.
        RateLimited (429) past the per-address interval or window (keyed on the slug as sent)."""
        key = email_key(body.email)
        # Keyed on the slug as sent, so an unknown tenant is limited exactly like a real one.
        await self._limiter.hit(f"otp-send-interval:{body.tenant}:{key}", 1, self._send_interval)
        await self._limiter.hit(f"otp-sends:{body.tenant}:{key}", self._sends_per_window, self._sends_window)
        tenant = await get_tenant_by_slug(body.tenant)
        if tenant is not None:
            code = await self.otp.issue(tenant.id, key)
            self._send(tenant, body.email, body.locale, code)
        return OTP_REQUESTED

    def _send(self, tenant: Tenant, to: str, locale: str, code: str) -> None:
        """Hand the mail to the background dispatcher (which retries, and logs a final failure)."""
        subject, text, html = render_otp_email(locale, code, tenant.name, max(1, self.otp.ttl // 60))
        try:
            message = MailMessage(
                to=to, subject=subject, text=text, html=html,
                from_addr=self._mail_from_tenants.get(tenant.slug, self._mail_from),
            )
        except ValueError as exc:  # an address the mail layer refuses: same answer, nothing sent
            log.warning("sign-in code mail not sent for tenant %s: %s", tenant.slug, exc)
            return
        self._mail.dispatch(message)

    # ------------------------------------------------------------------ #11

    async def authenticate(self, body: OtpAuthenticate) -> Session | OnboardingRequired:
        """A session for an address with an account, an onboarding token for one without; InvalidCode
        (401) for every way the code can be wrong."""
        key = email_key(body.email)
        tenant = await get_tenant_by_slug(body.tenant)
        await self.otp.verify(tenant.id if tenant else None, key, body.code)
        if tenant is None:  # not reached: verify() refuses every code of an unknown tenant
            raise InvalidCode()
        user = await of_tenant(User, tenant.id).get_or_none(email_key=key)
        if user is not None:
            return await self.sessions.start(tenant.id, user, body.device_id)
        return await self.sessions.new_onboarding(tenant.id, body.email, key, body.device_id)

    # ------------------------------------------------------------------ #12

    async def signup(self, body: SignupRequest) -> Session:
        """Spends the onboarding token (validated first: a 422 leaves it unspent), makes the account (or
        reuses one made meanwhile) and signs it in; InvalidOnboardingToken (401)."""
        onboarding = await self.sessions.consume_onboarding(body.onboarding_token)
        user = await self._user_by_key(onboarding.tenant_id, onboarding.email_key)
        if user is None:
            new = UserCreate(first_name=body.first_name, last_name=body.last_name, email=onboarding.email,
                             date_of_birth=body.date_of_birth)
            try:
                user = await create_user(onboarding.tenant_id, new)
            except ValidationFailed:  # the address got an account meanwhile: reuse it
                user = await self._user_by_key(onboarding.tenant_id, onboarding.email_key)
                if user is None:
                    raise
        return await self.sessions.start(onboarding.tenant_id, user, onboarding.device_id)

    @staticmethod
    async def _user_by_key(tenant_id: uuid.UUID, key: str) -> User | None:
        return await of_tenant(User, tenant_id).get_or_none(email_key=key)

    # ------------------------------------------------------------------ #13, #14

    async def refresh(self, refresh_token: str) -> Session:
        """The next session of the token's family (rotation, reuse detection: `SessionService.refresh`)."""
        return await self.sessions.refresh(refresh_token)

    async def logout(self, refresh_token: str) -> None:
        """Ends the token's family; an unknown or spent token is no error."""
        await self.sessions.logout(refresh_token)
