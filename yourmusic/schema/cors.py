"""CORS origins in GraphQL (client token): the twin of `GET/PUT /api/cors/origins`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from yourmusic.resolvers import cors as resolvers
from yourmusic.schema.info import Info


@strawberry.type
class CorsQuery:
    @strawberry.field(description="The web origins the tenant's front-ends may call the API from, sorted "
                      "(client token). Errors: UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (not a client "
                      "token).")
    async def cors_origins(self, info: Info) -> list[str]:
        return await resolvers.cors_origins(info.context)


@strawberry.type
class CorsMutation:
    @strawberry.mutation(description="Replaces the tenant's CORS origins (client token): each "
                         "`scheme://host[:port]`, http or https, no path; at most 20. Returns them normalised "
                         "and sorted. A bad entry is VALIDATION_FAILED naming `origins.<index>`, nothing changes; "
                         "also UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (not a client token).")
    async def set_cors_origins(self, info: Info,
                               origins: Annotated[list[str], strawberry.argument(
                                   description="The whole new list (0..20 origins); an empty list removes all.")]
                               ) -> list[str]:
        return await resolvers.set_cors_origins(info.context, origins)
