"""Beyond the reference: the tenant's CORS origins (`GET/PUT /api/cors/origins`, client token)."""

from __future__ import annotations

from starlette.responses import Response

from yourmusic.resolvers import cors
from yourmusic.rest_compat.core import OAUTH2, Call, Operation
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.rest_compat.shapes import Shape
from yourmusic.validation import Input, parse


class CorsOriginsIn(Input):
    origins: list[str]


class CorsOriginsOut(Shape):
    origins: list[str]


async def get_origins(call: Call) -> Response:
    return JSONResponse(CorsOriginsOut(origins=await cors.cors_origins(call.ctx)).model_dump(mode="json"))


async def put_origins(call: Call) -> Response:
    body = parse(CorsOriginsIn, await call.json())
    origins = await cors.set_cors_origins(call.ctx, body.origins)
    return JSONResponse(CorsOriginsOut(origins=origins).model_dump(mode="json"))


_RULES = ("An origin is `scheme://host[:port]` as a browser sends it in `Origin`: http or https, no path "
          "(not even `/`), query, fragment, user information or wildcard; stored in lowercase without the "
          "scheme's default port. At most 20 per tenant. Origins in the server's `CORS_ORIGINS` are "
          "allowed for every tenant besides these.")

OPERATIONS = [
    Operation(("GET",), "/api/cors/origins", get_origins, "getCorsOrigins", "Get CORS origins", "CORS",
              "Query.corsOrigins", auth=(OAUTH2,), response=CorsOriginsOut, errors=(401, 403),
              description="The web origins the tenant's front-ends may call the API from, sorted. " + _RULES),
    Operation(("PUT",), "/api/cors/origins", put_origins, "setCorsOrigins", "Set CORS origins", "CORS",
              "Mutation.setCorsOrigins", auth=(OAUTH2,), body=CorsOriginsIn, response=CorsOriginsOut,
              errors=(401, 403, 422),
              description="Replaces the tenant's CORS origins (an empty list removes them all). A bad entry "
              "is a 422 naming it (`origins.<index>`) and nothing changes. Every worker and instance applies "
              "the change within seconds. " + _RULES),
]
