"""#10-#14: passwordless sign-in. No credentials needed; the client address feeds the OTP throttle."""

from __future__ import annotations

from typing import Any

from yourmusic.context import Context
from yourmusic.services.sessions import OnboardingRequired, Session


async def request_email_otp(ctx: Context, data: Any) -> str:
    return await ctx.container.passwordless.request_code(data, ctx.client_ip())


async def authenticate_with_email_otp(ctx: Context, data: Any) -> Session | OnboardingRequired:
    return await ctx.container.passwordless.authenticate(data, ctx.client_ip())


async def signup(ctx: Context, data: Any) -> Session:
    return await ctx.container.passwordless.signup(data)


async def refresh_session(ctx: Context, data: Any) -> Session:
    return await ctx.container.passwordless.refresh(data)


async def logout(ctx: Context, data: Any) -> None:
    await ctx.container.passwordless.logout(data)
