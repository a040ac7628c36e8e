from __future__ import annotations

from typing import Annotated

import strawberry

from yourmusic.resolvers import passwordless as resolvers
from yourmusic.schema.info import Info, submitted
from yourmusic.schema.users import User
from yourmusic.services import passwordless as svc
from yourmusic.services import sessions
from yourmusic.validation import Submitted


@strawberry.type
class EmailOtpRequested:
    message: str


@strawberry.type(description="A signed-in session: a short-lived access token and a rotating refresh token.")
class Session:
    token_type: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: User

    @classmethod
    def of(cls, s: sessions.Session) -> Session:
        return cls(
            token_type=s.token_type, access_token=s.access_token, expires_in=s.expires_in,
            refresh_token=s.refresh_token, refresh_expires_in=s.refresh_expires_in, user=User.of(s.user),
        )


@strawberry.type(description="The code was right but the address has no account yet: sign up with this token.")
class OnboardingRequired:
    onboarding_token: str
    onboarding_expires_in: int
    email: str

    @classmethod
    def of(cls, o: sessions.OnboardingRequired) -> OnboardingRequired:
        return cls(onboarding_token=o.onboarding_token, onboarding_expires_in=o.onboarding_expires_in, email=o.email)


AuthenticationResult = Annotated[Session | OnboardingRequired, strawberry.union("AuthenticationResult")]


@strawberry.input
class SignupInput:
    onboarding_token: str
    first_name: str
    last_name: str
    date_of_birth: str = strawberry.field(description="YYYY-MM-DD, in the past.")


@strawberry.type
class PasswordlessMutation:
    @strawberry.mutation(description="Emails a sign-in code; the same answer whether or not the address has an account.")
    async def request_email_otp(
        self, info: Info, tenant: str, email: str, locale: str | None = None
    ) -> EmailOtpRequested:
        data = {"tenant": tenant, "email": email}
        if locale is not None:
            data["locale"] = locale
        return EmailOtpRequested(message=await resolvers.request_email_otp(info.context, Submitted(svc.OtpRequest, data)))

    @strawberry.mutation(description="A session for a known address, an onboarding token for an unknown one.")
    async def authenticate_with_email_otp(
        self, info: Info, tenant: str, email: str, code: str, device_id: strawberry.ID
    ) -> AuthenticationResult:
        attempt = Submitted(svc.OtpAuthenticate, {"tenant": tenant, "email": email, "code": code,
                                                  "device_id": device_id})
        result = await resolvers.authenticate_with_email_otp(info.context, attempt)
        if isinstance(result, sessions.Session):
            return Session.of(result)
        return OnboardingRequired.of(result)

    @strawberry.mutation(description="Creates the account of an onboarding token (single use) and signs it in.")
    async def signup(self, info: Info, input: SignupInput) -> Session:
        return Session.of(await resolvers.signup(info.context, submitted(svc.SignupRequest, input)))

    @strawberry.mutation(description="Rotates the refresh token; presenting a spent one revokes the whole session.")
    async def refresh_session(self, info: Info, refresh_token: str) -> Session:
        return Session.of(await resolvers.refresh_session(info.context, Submitted(svc.RefreshRequest, {"refresh_token": refresh_token})))

    @strawberry.mutation(description="Ends the session of this refresh token. Always true, also for an unknown token.")
    async def logout(self, info: Info, refresh_token: str) -> bool:
        await resolvers.logout(info.context, Submitted(svc.LogoutRequest, {"refresh_token": refresh_token}))
        return True
