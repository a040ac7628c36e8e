"""#15-#16 the caller's own profile (UDT or session access token)."""

from __future__ import annotations

from starlette.responses import Response

from yourmusic.resolvers import profile
from yourmusic.rest_compat.core import UDT, Call, Operation
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.rest_compat.shapes import UserOut
from yourmusic.services.users import ProfileUpdate


async def me(call: Call) -> Response:
    return JSONResponse(UserOut.dump(await profile.me(call.ctx)))


async def update_me(call: Call) -> Response:
    return JSONResponse(UserOut.dump(await profile.update_me(call.ctx, await call.body(ProfileUpdate))))


_TAG = "Profile"
OPERATIONS = [
    Operation(("GET",), "/api/me", me, "getMe", "Current user profile", _TAG, "Query.me", auth=(UDT,),
              response=UserOut, description="Returns profile data for the caller authenticated with a UDT.",
              errors=(401, 403)),
    Operation(("PATCH",), "/api/me", update_me, "updateMe", "Update current user profile", _TAG,
              "Mutation.updateMe", auth=(UDT,), body=ProfileUpdate, response=UserOut,
              description="Updates editable profile fields for the caller authenticated with a UDT "
              "(the email is managed by the tenant and is not editable here).",
              errors=(401, 403, 422)),
]
