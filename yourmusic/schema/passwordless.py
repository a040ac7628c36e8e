"""Passwordless sign-in in GraphQL (public): email codes, sessions, refresh and logout; the twins of
`/api/auth/...`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from yourmusic.resolvers import passwordless as resolvers
from yourmusic.schema.info import Info, submitted
from yourmusic.schema.users import User
from yourmusic.services import passwordless as svc
from yourmusic.services import sessions
from yourmusic.validation import Submitted

D = strawberry.field
A = strawberry.argument
Tenant = Annotated[str, A(description="The tenant's slug (1..255 characters), e.g. `demo`.")]
Email = Annotated[str, A(description="The email address (at most 255 characters).")]
RefreshToken = Annotated[str, A(description="The refresh token of a session (1..512 characters).")]
_LIMITED = ("RATE_LIMITED (too many requests from this IP, or codes for this address: `extensions.retryAfter` "
            "seconds)")


@strawberry.type(description="The answer to a code request: the same whether or not the address has an account.")
class EmailOtpRequested:
    message: str = D(description="A human-readable confirmation to show, e.g. that a code was sent if the address "
                                 "is known.")


@strawberry.type(description="A signed-in session: a short-lived access token and a rotating refresh token.")
class Session:
    token_type: str = D(description="Always `Bearer`.")
    access_token: str = D(description="The session access token (a JWT): a user token for every user operation.")
    expires_in: int = D(description="Seconds until the access token expires (SESSION_ACCESS_TTL, default 3600).")
    refresh_token: str = D(description="Single use: trade it for a new session with refreshSession. Keep it secret.")
    refresh_expires_in: int = D(description="Seconds until the session ends whatever happens (REFRESH_TOKEN_TTL, "
                                            "default 2592000: 30 days).")
    user: User = D(description="The signed-in user.")

    @classmethod
    def of(cls, s: sessions.Session) -> Session:
        return cls(
            token_type=s.token_type, access_token=s.access_token, expires_in=s.expires_in,
            refresh_token=s.refresh_token, refresh_expires_in=s.refresh_expires_in, user=User.of(s.user),
        )


@strawberry.type(description="The code was right but the address has no account yet: sign up with this token.")
class OnboardingRequired:
    onboarding_token: str = D(description="Single use: pass it to signup with the new user's details.")
    onboarding_expires_in: int = D(description="Seconds until it expires (ONBOARDING_TOKEN_TTL, default 900).")
    email: str = D(description="The verified address the account will have.")

    @classmethod
    def of(cls, o: sessions.OnboardingRequired) -> OnboardingRequired:
        return cls(onboarding_token=o.onboarding_token, onboarding_expires_in=o.onboarding_expires_in, email=o.email)


AuthenticationResult = Annotated[Session | OnboardingRequired, strawberry.union(
    "AuthenticationResult", description="A Session for an address with an account, OnboardingRequired for a new one.")]


@strawberry.input(description="The new account of an onboarding token (its address comes from the token).")
class SignupInput:
    onboarding_token: str = D(description="The token authenticateWithEmailOtp answered (1..512 characters).")
    first_name: str = D(description="Given name (1..255 characters).")
    last_name: str = D(description="Family name (1..255 characters).")
    date_of_birth: str = D(description="YYYY-MM-DD, in the past.")


@strawberry.type
class PasswordlessMutation:
    @strawberry.mutation(description="Emails a sign-in code (valid OTP_TTL seconds, default 600); the same answer "
                         "whether or not the address has an account. Public. Errors: VALIDATION_FAILED (a bad "
                         "address or locale), " + _LIMITED + ".")
    async def request_email_otp(
        self, info: Info, tenant: Tenant, email: Email,
        locale: Annotated[str | None, A(description="The mail's language: `en` (default), `nl` or `fr`.")] = None,
    ) -> EmailOtpRequested:
        data = {"tenant": tenant, "email": email}
        if locale is not None:
            data["locale"] = locale
        return EmailOtpRequested(message=await resolvers.request_email_otp(info.context, Submitted(svc.OtpRequest, data)))

    @strawberry.mutation(description="Trades an emailed code for a session (a known address) or an onboarding "
                         "token (an unknown one). Public. Errors: INVALID_AUTH_TOKEN (wrong or expired code; "
                         "OTP_MAX_ATTEMPTS wrong tries kill it), VALIDATION_FAILED, " + _LIMITED + ".")
    async def authenticate_with_email_otp(
        self, info: Info, tenant: Tenant, email: Email,
        code: Annotated[str, A(description="The code from the mail, as typed (1..32 characters).")],
        device_id: Annotated[strawberry.ID, A(description="The device's id (UUID), chosen by the app; the session "
                                                          "is bound to it.")],
    ) -> AuthenticationResult:
        attempt = Submitted(svc.OtpAuthenticate, {"tenant": tenant, "email": email, "code": code,
                                                  "device_id": device_id})
        result = await resolvers.authenticate_with_email_otp(info.context, attempt)
        if isinstance(result, sessions.Session):
            return Session.of(result)
        return OnboardingRequired.of(result)

    @strawberry.mutation(description="Creates the account of an onboarding token (single use) and signs it in. "
                         "Public. Errors: INVALID_AUTH_TOKEN (the token invalid, expired or used), VALIDATION_FAILED.")
    async def signup(self, info: Info, input: Annotated[SignupInput, A(description="The new account.")]) -> Session:
        return Session.of(await resolvers.signup(info.context, submitted(svc.SignupRequest, input)))

    @strawberry.mutation(description="Rotates the refresh token: a new access and refresh token. Presenting a spent "
                         "one again (past SESSION_REFRESH_REUSE_INTERVAL seconds) revokes the whole session. Public. "
                         "Errors: INVALID_AUTH_TOKEN (unknown, expired, reused or revoked), VALIDATION_FAILED.")
    async def refresh_session(self, info: Info, refresh_token: RefreshToken) -> Session:
        return Session.of(await resolvers.refresh_session(info.context, Submitted(svc.RefreshRequest, {"refresh_token": refresh_token})))

    @strawberry.mutation(description="Ends the session of this refresh token (its access tokens stop working "
                         "within SESSION_REVOCATION_CACHE_TTL seconds). Always true, also for an unknown token. Public.")
    async def logout(self, info: Info,
                     refresh_token: Annotated[str, A(description="The session's refresh token (any string).")]) -> bool:
        await resolvers.logout(info.context, Submitted(svc.LogoutRequest, {"refresh_token": refresh_token}))
        return True
