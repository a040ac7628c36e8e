"""#10-#14 passwordless sign-in: email codes, sessions, onboarding, refresh, logout."""

from __future__ import annotations

from pydantic import Field, RootModel
from starlette.responses import Response

from yourmusic.resolvers import passwordless
from yourmusic.rest_compat.core import Call, Operation
from yourmusic.rest_compat.names import contract_shape
from yourmusic.rest_compat.responses import JSONResponse, no_content
from yourmusic.rest_compat.shapes import Shape, UserOut
from yourmusic.services.passwordless import (
    LogoutRequest,
    OtpAuthenticate,
    OtpRequest,
    RefreshRequest,
    SignupRequest,
)
from yourmusic.services import sessions

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1: tokens are never cached


class MessageOut(Shape):
    message: str = Field(examples=["If that email address is valid, a verification code has been sent."])


SessionOut = contract_shape(sessions.Session, "SessionOut", nested={"user": UserOut})
OnboardingOut = contract_shape(sessions.OnboardingRequired, "OnboardingOut")


class AuthenticateOut(RootModel[SessionOut | OnboardingOut]):  # type: ignore[valid-type]
    """A session for a known address, an onboarding token for an unknown one."""


async def request_otp(call: Call) -> Response:
    message = await passwordless.request_email_otp(call.ctx, await call.body(OtpRequest))
    return JSONResponse(MessageOut.dump({"message": message}))


async def authenticate(call: Call) -> Response:
    result = await passwordless.authenticate_with_email_otp(call.ctx, await call.body(OtpAuthenticate))
    shape = SessionOut if isinstance(result, sessions.Session) else OnboardingOut
    return JSONResponse(shape.dump(result), headers=NO_STORE)


async def signup(call: Call) -> Response:
    session = await passwordless.signup(call.ctx, await call.body(SignupRequest))
    return JSONResponse(SessionOut.dump(session), status_code=201, headers=NO_STORE)


async def refresh(call: Call) -> Response:
    session = await passwordless.refresh_session(call.ctx, await call.body(RefreshRequest))
    return JSONResponse(SessionOut.dump(session), headers=NO_STORE)


async def logout(call: Call) -> Response:
    await passwordless.logout(call.ctx, await call.body(LogoutRequest))
    return no_content()


_TAG = "Authentication"
OPERATIONS = [
    Operation(("POST",), "/api/auth/otp/request", request_otp, "requestEmailOtp", "Request email OTP", _TAG,
              "Mutation.requestEmailOtp", body=OtpRequest, response=MessageOut,
              description="Sends a one-time verification code to the given email address. If the address is "
              "valid, a code is sent; the response does not reveal whether the address exists. Rate limits "
              "apply per IP (throttle) and per email (min interval between sends, max sends per hour).",
              errors=(422, 429)),
    Operation(("POST",), "/api/auth/otp/authenticate", authenticate, "authenticateWithEmailOtp",
              "Authenticate with email OTP", _TAG, "Mutation.authenticateWithEmailOtp", body=OtpAuthenticate,
              response=AuthenticateOut,
              description="Verifies an email OTP in a tenant context and returns a user session. Existing users "
              "receive access and refresh tokens. If no user exists for that tenant/email, an onboarding token "
              "is returned.",
              errors=(401, 422, 429)),
    Operation(("POST",), "/api/auth/signup", signup, "signup", "Signup", _TAG, "Mutation.signup",
              body=SignupRequest, response=SessionOut, status=201,
              description="Consumes a one-time onboarding token from email OTP authentication and creates the "
              "user (or reuses existing) and issues a session.",
              errors=(401, 422)),
    Operation(("POST",), "/api/auth/refresh", refresh, "refreshSession", "Refresh passwordless session", _TAG,
              "Mutation.refreshSession", body=RefreshRequest, response=SessionOut,
              description="Exchanges a valid refresh token for a new access token and a new refresh token. The "
              "previous refresh token can no longer be used; presenting it again revokes the whole session.",
              errors=(401, 422)),
    Operation(("POST",), "/api/auth/logout", logout, "logout", "Logout device session", _TAG, "Mutation.logout",
              body=LogoutRequest, status=204,
              description="Ends the session for the given refresh token. Returns 204 with no body. Safe to call "
              "with an invalid or already-used token.",
              errors=(422,)),
]
