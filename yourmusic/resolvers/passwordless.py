"""#10-#14: passwordless sign-in. No credentials needed; the client address feeds the OTP throttle."""

from __future__ import annotations

from yourmusic.context import Context
from yourmusic.services import passwordless as svc
from yourmusic.services.sessions import OnboardingRequired, Session
from yourmusic.validation import Submitted


async def request_email_otp(ctx: Context, request: Submitted[svc.OtpRequest]) -> str:
    passwordless = ctx.container.passwordless
    await passwordless.throttle(ctx.client_ip())  # before validation: malformed requests count too
    return await passwordless.request_code(request.value())


async def authenticate_with_email_otp(ctx: Context,
                                      attempt: Submitted[svc.OtpAuthenticate]) -> Session | OnboardingRequired:
    passwordless = ctx.container.passwordless
    await passwordless.throttle(ctx.client_ip())
    return await passwordless.authenticate(attempt.value())


async def signup(ctx: Context, signup: Submitted[svc.SignupRequest]) -> Session:
    return await ctx.container.passwordless.signup(signup.value())


async def refresh_session(ctx: Context, refresh: Submitted[svc.RefreshRequest]) -> Session:
    return await ctx.container.passwordless.refresh(refresh.value().refresh_token)


async def logout(ctx: Context, logout: Submitted[svc.LogoutRequest]) -> None:
    await ctx.container.passwordless.logout(logout.value().refresh_token)
