"""JSON responses (orjson) and the rendering of domain errors into the contract's bodies."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from yourmusic.errors import AppError

log = logging.getLogger("yourmusic.rest")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class JSONStreamResponse(StreamingResponse):
    """A JSON answer sent as the body iterator gives it (chunked transfer, no Content-Length): for long
    answers, built and sent a part at a time. The iterator's parts must join into one JSON document."""

    media_type = "application/json"


def error_response(exc: AppError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The contract's body for a domain error, with its own headers and any the transport adds."""
    merged = {**exc.headers, **(headers or {})}
    return JSONResponse(exc.body(), status_code=exc.status, headers=merged or None)


def unexpected_error_response() -> JSONResponse:
    """A bug: the caller learns nothing about internals; the log gets the traceback."""
    return JSONResponse({"message": "Server Error.", "code": "INTERNAL_SERVER_ERROR"}, status_code=500)


def no_content() -> Response:
    return Response(status_code=204)
