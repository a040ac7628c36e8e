"""The Strawberry ASGI view: our Context per request, orjson on the wire, our offline GraphiQL page."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL

from yourmusic.context import Context
from yourmusic.webui import graphiql_html


class GraphQLView(GraphQL):
    async def get_context(self, request: Request, response: Any) -> Context:  # type: ignore[override]
        return Context(request=request, container=request.app.state.container)

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        """Our GraphiQL page: assets from /static (no CDN), example operations, an Authorization template."""
        return HTMLResponse(graphiql_html(request.url.path), headers={"Cache-Control": "no-cache"})
