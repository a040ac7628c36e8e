"""A WebSocket client for the in-process app (ASGI), speaking graphql-transport-ws as a client would.

The session's app runs on the test's event loop (its Tortoise context included), so the WebSocket is
driven through the ASGI interface directly rather than through a server in another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

PROTOCOL = "graphql-transport-ws"


class Closed(Exception):
    """The server closed the connection (or refused the handshake: `accepted` False)."""

    def __init__(self, code: int, reason: str = "", *, accepted: bool = True) -> None:
        super().__init__(f"closed {code} {reason!r}")
        self.code, self.reason, self.accepted = code, reason, accepted


class WebSocket:
    """`async with WebSocket(app, headers={...}) as ws`: the handshake done (Closed if refused)."""

    def __init__(self, app: Any, path: str = "/graphql", *, headers: dict[str, str] | None = None,
                 subprotocols: tuple[str, ...] = (PROTOCOL,)) -> None:
        self.app = app
        hdrs = {"host": "testserver", **{k.lower(): v for k, v in (headers or {}).items()}}
        self.scope = {"type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
                      "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                      "headers": [(k.encode(), v.encode()) for k, v in hdrs.items()],
                      "subprotocols": list(subprotocols), "server": ("testserver", 80), "client": ("127.0.0.1", 50000)}
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.subprotocol: str | None = None
        self.closed: Closed | None = None

    async def __aenter__(self) -> WebSocket:
        self._task = asyncio.create_task(self.app(self.scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "websocket.connect"})
        message = await asyncio.wait_for(self._from_app.get(), 5)
        if message["type"] == "websocket.close":
            await self._to_app.put({"type": "websocket.disconnect", "code": message.get("code", 1000)})
            await self._finish()
            raise Closed(message.get("code", 1000), message.get("reason", ""), accepted=False)
        assert message["type"] == "websocket.accept", message
        self.subprotocol = message.get("subprotocol")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000 if self.closed is None else self.closed.code})
        await self._finish()

    async def _finish(self) -> None:
        assert self._task is not None
        try:
            await asyncio.wait_for(self._task, 5)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(json.dumps(message))

    async def send_raw(self, frame: str | bytes) -> None:
        """One frame as it is: text (a str) or binary (bytes)."""
        await self._to_app.put({"type": "websocket.receive", **({"text": frame} if isinstance(frame, str)
                                                                 else {"bytes": frame})})

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message from the server; Closed when it closed the connection."""
        if self.closed is not None:
            raise self.closed
        message = await asyncio.wait_for(self._from_app.get(), timeout)
        if message["type"] == "websocket.close":
            self.closed = Closed(message.get("code", 1000), message.get("reason", ""))
            raise self.closed
        text = message.get("text")
        assert text is not None, f"a binary frame: {message!r}"  # graphql-transport-ws is text (browsers get Blobs)
        return json.loads(text)

    # graphql-transport-ws, client side

    async def init(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        await self.send({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        return await self.message()

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})

    async def message(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message that is not a keep-alive `ping` (answered with `pong`)."""
        while True:
            message = await self.receive(timeout)
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """What arrives within `seconds` (pings left out): [] when nothing does."""
        got: list[dict[str, Any]] = []
        with contextlib.suppress(asyncio.TimeoutError):
            while True:
                got.append(await self.message(seconds))
        return got


async def connect(app: Any, token: str | None, *, headers: dict[str, str] | None = None) -> WebSocket:
    """An initialised connection (connection_ack received); close it with `await ws.__aexit__()`."""
    ws = WebSocket(app, headers=headers)
    await ws.__aenter__()
    ack = await ws.init({"Authorization": f"Bearer {token}"} if token else {})
    assert ack == {"type": "connection_ack"}, ack
    return ws
