"""MAX_BODY_BYTES on every route: a pure ASGI middleware that counts the body as it streams in.

A declared `Content-Length` past the limit is answered at once, before the app runs. A body without
one (chunked) is counted chunk by chunk: the chunk that crosses the limit raises PayloadTooLarge
from `receive`. REST handlers render it like any AppError; anywhere else (GraphQL, sandboxes) it
reaches this middleware, which answers 413 unless a response has already started. The body is
`{"message", "code": "PAYLOAD_TOO_LARGE"}`, the contract's error shape.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yourmusic.errors import PayloadTooLarge

log = logging.getLogger("yourmusic")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if value.strip().isascii() and value.strip().isdigit() and int(value) > self.max_bytes:
                    return await self._reject(send)
                break
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self._message())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge:
            if started:
                log.info("request body too large after the response started on %s", scope.get("path"))
                return
            await self._reject(send)

    def _message(self) -> str:
        return f"The request body is too large (at most {self.max_bytes} bytes)."

    async def _reject(self, send: Send) -> None:
        body = orjson.dumps({"message": self._message(), "code": PayloadTooLarge.code})
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
