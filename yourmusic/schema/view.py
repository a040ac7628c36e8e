"""The Strawberry ASGI view: our Context per request, orjson on the wire."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from strawberry.asgi import GraphQL

from yourmusic.context import Context


class GraphQLView(GraphQL):
    async def get_context(self, request: Request, response: Any) -> Context:  # type: ignore[override]
        return Context(request=request, container=request.app.state.container)

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)
