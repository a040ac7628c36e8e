"""/graphql over WebSocket: graphql-transport-ws, Strawberry's handler with our rules.

The handshake: a browser's `Origin` must be the server's own, one of CORS_ORIGINS, or one some tenant
allows (`OriginDirectory`); anything else is refused before the connection is accepted (HTTP 403).
Without `Origin` (native clients) the handshake goes on, as for HTTP.

`connection_init` (within LIVE_INIT_TIMEOUT seconds, else close 4408) carries the token:
`{"Authorization": "Bearer <token>"}`. Closes with 4403 Forbidden: no token, a bad, expired or revoked
one, or a browser `Origin` that the token's tenant does not allow; 4429 when the caller already holds
LIVE_CONNECTIONS_PER_USER connections in this worker. Then:

- every message is a text frame of at most MAX_BODY_BYTES bytes (the HTTP body limit; larger: close
  1009, unparsed) shaped as graphql-transport-ws says (`malformed`: anything else closes 4400, as the
  `graphql-ws` server does); the server's messages are text frames too;
- each `subscribe` runs through `YourMusicSchema.stream` (limits, masking, metrics as over HTTP) after
  the persisted-query rules of HTTP (`GRAPHQL_PERSISTED_QUERIES`: in `allowlist` mode only listed
  documents run, by hash in `extensions.persistedQuery` or in full; refused: an `error` with the HTTP
  path's code); more than LIVE_SUBSCRIPTIONS_PER_CONNECTION operations at once: an `error`
  TOO_MANY_SUBSCRIPTIONS;
- the server sends `ping` every LIVE_KEEPALIVE_INTERVAL seconds (clients answer `pong`);
- when the token expires, or the caller is found revoked (checked every LIVE_RECHECK_INTERVAL seconds),
  every running operation ends with an `error` INVALID_AUTH_TOKEN, and so does every later `subscribe`
  on that connection (open a new one with a new token).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Hashable, Mapping
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.http.websocket_origin import is_same_origin
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage
from strawberry.types.execution import PreExecutionError

from yourmusic.context import Context
from yourmusic.errors import AppError, InvalidAuthToken
from yourmusic.principals import ClientPrincipal, Principal, bearer_token, principal_from_token
from yourmusic.schema.execution import RequestError
from yourmusic.security.tokens import TokenError

TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
MESSAGE_TOO_BIG = 1009  # RFC 6455: a message too big to process


@dataclass(frozen=True)
class LiveOptions:
    """The WebSocket limits (settings LIVE_*) and the operator-wide CORS_ORIGINS."""

    subscriptions_per_connection: int = 20
    connections_per_user: int = 10
    keepalive_interval: float = 15.0
    recheck_interval: float = 30.0
    static_origins: frozenset[str] = frozenset()
    max_message_bytes: int = 1_048_576  # MAX_BODY_BYTES; 0: no limit of ours

    @classmethod
    def from_settings(cls, settings: Any, static_origins: frozenset[str]) -> LiveOptions:
        return cls(settings.live_subscriptions_per_connection, settings.live_connections_per_user,
                   settings.live_keepalive_interval, settings.live_recheck_interval, static_origins,
                   settings.max_body_bytes)


class LiveWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's ASGI WebSocket with our frame rules: messages out as text frames (graphql-transport-ws
    is text; the view's orjson gives bytes, which `graphql-ws` clients cannot read), messages in of at
    most `LiveOptions.max_message_bytes` (the HTTP body limit: larger closes 1009 before any parsing)."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncIterator[object]:
        limit: int = self.view.live.max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if limit > 0 and len(text) > limit // 4 and len(text.encode("utf-8")) > limit:
                    await self.close(MESSAGE_TOO_BIG, f"Message too big (at most {limit} bytes)")
                    return
                try:
                    yield self.view.decode_json(text)
                except JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
        except KeyError as e:  # a binary frame
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode("utf-8"))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


_OPTIONAL_PAYLOAD = frozenset({"connection_init", "connection_ack", "ping", "pong"})
_SUBSCRIBE_FIELDS = (("query", str, False), ("variables", dict, True), ("operationName", str, True),
                     ("extensions", dict, True))


def malformed(message: object) -> str | None:
    """Why a received message breaks graphql-transport-ws's shapes (the `graphql-ws` server's
    `validateMessage`), or None: an object with a string `type`; an object or null `payload` on
    connection_init / ping / pong; a non-empty string `id` on subscribe and complete; subscribe's
    `payload` an object with a string `query`, and `variables` / `extensions` objects and
    `operationName` a string, each or null. Unknown types are Strawberry's to refuse."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string `type`"
    kind = message["type"]
    if kind in _OPTIONAL_PAYLOAD:
        return None if isinstance(message.get("payload"), (dict, type(None))) else f"Invalid {kind} payload"
    if kind not in ("subscribe", "complete"):
        return None
    if not isinstance(message.get("id"), str) or not message["id"]:
        return f"A {kind} message needs a non-empty string `id`"
    if kind == "complete":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "A subscribe message needs a `payload` object"
    for key, kind_of, nullable in _SUBSCRIBE_FIELDS:
        value = payload.get(key)
        if not (isinstance(value, kind_of) or (nullable and value is None)):
            return f"Invalid subscribe payload: `{key}`"
    return None


async def origin_allowed(websocket: WebSocket, options: LiveOptions, tenant_id: str | None) -> bool:
    """Whether a WebSocket's `Origin` may talk to this server: none (not a browser), the server's own
    origin, CORS_ORIGINS, else the origins of the caller's tenant (`tenant_id`; None before the caller
    is known: any tenant's, as for a CORS preflight)."""
    origin = websocket.headers.get("origin")
    if origin is None or is_same_origin(origin, websocket.headers.get("host")) or origin in options.static_origins:
        return True
    snapshot = await websocket.app.state.container.cors.snapshot()
    return origin in (snapshot.anywhere if tenant_id is None else snapshot.of_tenant(tenant_id))


def _token(payload: Mapping[str, Any]) -> str:
    """The bearer token of a `connection_init` payload (key `Authorization`, any case)."""
    for key, value in payload.items():
        if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
            token = bearer_token(value)
            if token is not None:
                return token
    raise InvalidAuthToken("A token is required in the connection_init payload: {\"Authorization\": \"Bearer ...\"}.")


def _caller_key(principal: Principal) -> Hashable:
    if isinstance(principal, ClientPrincipal):
        return ("client", principal.client_id)
    return ("user", principal.tenant_id, principal.user_id)


def _error_payload(error: AppError) -> list[dict[str, Any]]:
    return [{"message": error.message, "extensions": error.extensions}]


class LiveTransportHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with our authentication, limits, keep-alive and token lifetime (module doc)."""

    view: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options: LiveOptions = self.view.live
        self.expires_at = 0.0
        self.ended: AppError | None = None  # the token died: every operation ends with this
        self._caller: Hashable | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        try:
            principal = await self._authenticate(payload)
        except AppError:
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        if not await origin_allowed(self.context.request, self.options, str(principal.tenant_id)):  # type: ignore[arg-type]
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        key = _caller_key(principal)
        if not self.context.container.live.connections.enter(key, self.options.connections_per_user):
            await self.websocket.close(code=4429, reason="Too many connections")
            return
        self._caller = key
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self._start(self._watch_token())
        if self.options.keepalive_interval > 0:
            self._start(self._keep_alive())

    async def _authenticate(self, payload: Mapping[str, Any]) -> Principal:
        """The payload's token verified as on HTTP (signature, issuer, audience, expiry, liveness)."""
        token = _token(payload)
        tokens = self.context.container.tokens
        try:
            self.expires_at = tokens.verify(token).expires_at
        except TokenError:
            raise InvalidAuthToken() from None
        return await self.context.connected(principal_from_token(tokens, token))

    def _start(self, job: Any) -> None:
        task = asyncio.create_task(job)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.options.keepalive_interval)
            await self.send_message({"type": "ping"})

    async def _watch_token(self) -> None:
        """End every operation when the token expires or its caller is found revoked."""
        while True:
            left = self.expires_at - time.time()
            if left <= 0:
                await self._end(InvalidAuthToken("The access token expired."))
                return
            await asyncio.sleep(min(left, self.options.recheck_interval))
            if self.expires_at > time.time():
                try:
                    await self.context.recheck()
                except AppError as error:
                    await self._end(error)
                    return

    async def _end(self, error: AppError) -> None:
        self.ended = error
        for operation in list(self.operations.values()):
            await self._fail(operation, error)

    async def _fail(self, operation: Operation[Context, None], error: AppError) -> None:
        self.operations.pop(operation.id, None)
        operation.completed = True
        if operation.task is not None:
            operation.task.cancel()
        await self.send_message({"id": operation.id, "type": "error", "payload": _error_payload(error)})  # type: ignore[typeddict-item]

    async def handle_message(self, message: Any) -> None:
        """A malformed message closes the connection with 4400 (`malformed`), before Strawberry reads it."""
        problem = malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message.get("id") not in self.operations:
            if self.ended is None and time.time() >= self.expires_at:
                self.ended = InvalidAuthToken("The access token expired.")
            refusal: list[dict[str, Any]] | None = None
            if self.ended is not None:
                refusal = _error_payload(self.ended)
            elif len(self.operations) >= self.options.subscriptions_per_connection:
                refusal = [{"message": f"At most {self.options.subscriptions_per_connection} operations may run on "
                                       "one connection.", "extensions": {"code": TOO_MANY_SUBSCRIPTIONS}}]
            if refusal is None:
                payload: Any = message["payload"]
                try:  # the persisted-query rules of HTTP (the allow-list in production)
                    query, _, _ = await self.view.resolve_persisted(
                        self.context.request, payload["query"] or None, payload.get("extensions"))
                except RequestError as error:
                    refusal = [error.formatted]
                else:
                    message = {**message, "payload": {**payload, "query": query}}
            if refusal is not None:
                await self.send_message({"id": message["id"], "type": "error", "payload": refusal})  # type: ignore[typeddict-item]
                return
        await super().handle_subscribe(message)

    async def _send_result_stream(self, operation: Operation[Context, None], result_source: Any) -> None:
        """Each result as `next`; a `PreExecutionError` (refused, or the stream ended by an error) as the
        operation's terminal `error`. An operation no longer registered (the client's `complete`, or
        `_end`) stops here even if the cancellation that ended it was lost: Python 3.11's
        `asyncio.wait_for` (aiocache's on Redis) can swallow one, and the stream would then wait for
        events, holding its watcher, for as long as the process lives."""
        async for result in result_source:
            if self.operations.get(operation.id) is not operation:
                operation.completed = True  # nothing more is sent for it (its id may be another's now)
                return
            if isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            await operation.send_next(result)

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
        if self._caller is not None:
            self.context.container.live.connections.leave(self._caller)
            self._caller = None
        await super().shutdown()
