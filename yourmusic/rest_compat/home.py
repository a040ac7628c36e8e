"""#18 the composed home page, and its configuration by the tenant's backend (PUT)."""

from __future__ import annotations

from starlette.responses import Response

from yourmusic.resolvers import home
from yourmusic.rest_compat.core import OAUTH2, UDT, Call, Operation
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.services import home as svc
from yourmusic.services.home import HomePageInput

_PAGE = {
    "type": "object",
    "required": ["page", "modules"],
    "properties": {
        "page": {"type": "object", "properties": {"id": {"type": ["string", "null"]}, "slug": {"type": "string"},
                                                  "title": {"type": "string"},
                                                  "updated_at": {"type": ["string", "null"]}}},
        "modules": {"type": "array", "items": {"type": "object", "required": ["id", "type", "title", "position", "items"],
                                               "properties": {"id": {"type": "string"},
                                                              "type": {"enum": list(svc.MODULE_TYPES)},
                                                              "title": {"type": "string"},
                                                              "position": {"type": "integer"},
                                                              "items": {"type": "array"}}}},
    },
}


def _page_response(call: Call, page: dict) -> Response:
    body = svc.encode(page)
    tag = svc.etag(body)
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization, X-Tenant"}
    if tag in [t.strip() for t in call.request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def get_home(call: Call) -> Response:
    return _page_response(call, await home.home(call.ctx))


async def put_home(call: Call) -> Response:
    return JSONResponse(await home.set_home(call.ctx, await call.json()))


OPERATIONS = [
    Operation(("GET",), "/api/home", get_home, "getHome", "Get home page", "Home", "Query.home",
              auth=(UDT,), auth_optional=True, headers=("X-Tenant",), response=_PAGE, errors=(401, 404, 422),
              description="Authentication is optional. Authenticated: the tenant is the user's. Guest: the X-Tenant "
                          "header (tenant slug) is required. A present but invalid or expired token is a 401 "
                          "INVALID_AUTH_TOKEN. Answers carry an ETag; If-None-Match gives 304."),
    Operation(("PUT",), "/api/home", put_home, "setHomePage", "Configure the home page", "Home",
              "Mutation.setHomePage", auth=(OAUTH2,), body=HomePageInput, response=_PAGE, errors=(401, 403, 422),
              description="The tenant's backend sets the page title and the ordered modules (at most 30, at most "
                          "50 items each). Types: " + ", ".join(svc.MODULE_TYPES) + "."),
]
