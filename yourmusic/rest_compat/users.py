"""#5-#9 the Users API (client token)."""

from __future__ import annotations

from starlette.responses import Response

from yourmusic.pagination import CursorArgs, PageArgs
from yourmusic.resolvers import users
from yourmusic.rest_compat.core import OAUTH2, Call, Operation
from yourmusic.rest_compat.cursor import CURSOR_PAGE, CursorPaginator, WithCursor, cursor_response, wants_cursor
from yourmusic.rest_compat.responses import JSONResponse, no_content
from yourmusic.rest_compat.shapes import Paginator, UserOut, paginator
from yourmusic.services.users import UserCreate, UserUpdate


class UserListQuery(WithCursor, PageArgs):
    pass


async def list_users(call: Call) -> Response:
    if wants_cursor(call.request):
        return cursor_response(call.request, await users.walk_users(call.ctx, call.query_as(CursorArgs)), UserOut)
    page = await users.users(call.ctx, call.query_as(PageArgs))
    return JSONResponse(paginator(call.request, page, UserOut))


async def create_user(call: Call) -> Response:
    return JSONResponse(UserOut.dump(await users.create_user(call.ctx, await call.body(UserCreate))), status_code=201)


async def get_user(call: Call) -> Response:
    return JSONResponse(UserOut.dump(await users.user(call.ctx, call.id("user_id"))))


async def update_user(call: Call) -> Response:
    user = await users.update_user(call.ctx, call.id("user_id"), await call.body(UserUpdate))
    return JSONResponse(UserOut.dump(user))


async def delete_user(call: Call) -> Response:
    await users.delete_user(call.ctx, call.id("user_id"))
    return no_content()


_TAG = "Users"
OPERATIONS = [
    Operation(("GET",), "/api/users", list_users, "listUsers", "List users", _TAG, "Query.users",
              auth=(OAUTH2,), query=UserListQuery, response=Paginator[UserOut], errors=(401, 403, 422),
              alternates=((CURSOR_PAGE, CursorPaginator[UserOut]),)),
    Operation(("POST",), "/api/users", create_user, "createUser", "Create user", _TAG, "Mutation.createUser",
              auth=(OAUTH2,), body=UserCreate, response=UserOut, status=201, errors=(401, 403, 422)),
    Operation(("GET",), "/api/users/{user_id}", get_user, "getUser", "Get user", _TAG, "Query.user",
              auth=(OAUTH2,), response=UserOut, errors=(401, 403, 404)),
    Operation(("PATCH", "PUT"), "/api/users/{user_id}", update_user, "updateUser", "Update user", _TAG,
              "Mutation.updateUser", auth=(OAUTH2,), body=UserUpdate, response=UserOut,
              description="Partial update: only the fields sent change (PUT behaves the same).",
              errors=(401, 403, 404, 422)),
    Operation(("DELETE",), "/api/users/{user_id}", delete_user, "deleteUser", "Delete user", _TAG,
              "Mutation.deleteUser", auth=(OAUTH2,), status=204, errors=(401, 403, 404)),
]
