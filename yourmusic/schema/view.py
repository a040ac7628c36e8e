"""/graphql over HTTP: Strawberry's ASGI view, every request into the one pipeline (schema/execution.py).

GET and POST, `application/json` with any parameters, persisted queries (APQ, allow-list) and every
refused request (malformed body, unsupported media type, batch, unknown persisted query, ...) run
through `YourMusicSchema.execute`, so extensions, limits, masking, metrics and the access log see all
of them. What is refused before a document exists is a request error there (`RequestError`):
answered `{"errors": [{"message", "extensions": {"code"}}]}` with no `data` and its HTTP status (400,
415 for another media type, 405 + `Allow: POST` for a mutation over GET, 200 for
PERSISTED_QUERY_NOT_FOUND / _NOT_ALLOWED as Apollo's clients expect). Parse, validation and limit
errors keep Strawberry's answer: 200 with `data: null` (GraphQL over HTTP, `application/json`).
Only the GraphiQL page (a browser GET without a document) is not a GraphQL request.

WebSockets (graphql-transport-ws: subscriptions, and queries and mutations too) are handled by
schema/websocket.py, through the same schema pipeline (`YourMusicSchema.stream`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from yourmusic.context import Context
from yourmusic.schema.execution import BAD_REQUEST, RequestError, YourMusicSchema
from yourmusic.schema.persisted import PersistedQueries, not_allowed
from yourmusic.schema.websocket import (
    LiveOptions,
    LiveTransportHandler,
    LiveWebSocketAdapter,
    origin_allowed,
)
from yourmusic.webui import graphiql_html

_QUERIES = frozenset({OperationType.QUERY})  # GraphQL over HTTP: a mutation over GET is a 405
_ALLOWED = {"GET": _QUERIES, "HEAD": _QUERIES, "POST": frozenset({OperationType.QUERY, OperationType.MUTATION})}
_HTTP_CODES = {404: ("NOT_FOUND", "Not found."), 405: ("METHOD_NOT_ALLOWED", "Method not allowed.")}


@dataclass
class GraphQLRequest(GraphQLRequestData):
    """A request's parameters, or the request error that refused it (then the rest is empty)."""

    error: RequestError | None = None


def _refused(error: RequestError) -> GraphQLRequest:
    return GraphQLRequest(query=None, variables=None, operation_name=None, extensions=None, error=error)


class GraphQLView(GraphQL):
    """Strawberry's ASGI view with our Context, orjson, our GraphiQL page, persisted queries and
    request errors answered by the schema (see the module docstring)."""

    schema: YourMusicSchema
    graphql_transport_ws_handler_class = LiveTransportHandler  # type: ignore[assignment]
    websocket_adapter_class = LiveWebSocketAdapter  # type: ignore[assignment]

    def __init__(self, schema: YourMusicSchema, *, graphql_ide: str | None = "graphiql",
                 persisted: PersistedQueries | None = None, live: LiveOptions | None = None,
                 init_timeout: float = 10.0) -> None:
        super().__init__(schema, graphql_ide=graphql_ide,  # type: ignore[arg-type]
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         connection_init_wait_timeout=timedelta(seconds=init_timeout),
                         max_subscriptions_per_connection=None)  # ours: LiveTransportHandler, with a code
        self.persisted = persisted or PersistedQueries()
        self.live = live or LiveOptions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as exc:  # the GraphiQL page switched off (GRAPHIQL=false): the contract's 404
            code, message = _HTTP_CODES.get(exc.status_code, (BAD_REQUEST, exc.reason))
            response = Response(orjson.dumps({"message": message, "code": code}), status_code=exc.status_code,
                                media_type="application/json")
        await response(scope, receive, send)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's `run` for HTTP, without the branches this server does not offer (batches are
        refused as request errors, no HTTP streaming transport): every request reaches `execute_single`.
        A WebSocket's `Origin` is checked first (schema/websocket.py), then Strawberry's own run."""
        if self.is_websocket_request(request):
            if not await origin_allowed(request, self.live, None):
                return await self.reject_websocket(request)
            return await super().run(request, context, root_value)
        adapter = self.request_adapter_class(request)
        if self.should_render_graphql_ide(adapter):
            if self.graphql_ide:
                return await self.render_graphql_ide(request)
            raise HTTPException(404, "Not Found")
        if context is UNSET:
            context = await self.get_context(request, response=None)
        if root_value is UNSET:
            root_value = await self.get_root_value(request)
        request_data = await self.parse_http_body(adapter)
        result = await self.execute_single(request, adapter, None, context, root_value, request_data)  # type: ignore[arg-type]
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        refused = _request_error(result)
        if refused is None:
            return Response(self.encode_json(response_data), media_type="application/json")
        return Response(self.encode_json(response_data), status_code=refused.status, headers=refused.headers,
                        media_type="application/json")

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        return Context(request=request, container=request.app.state.container)

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """Already decided in `run` (per tenant: schema/websocket.py)."""
        return True

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        """Our GraphiQL page: assets from /static (no CDN), example operations, an Authorization template."""
        return HTMLResponse(graphiql_html(request.url.path), headers={"Cache-Control": "no-cache"})

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A browser GET that carries no document (a persisted query's hash is one)."""
        if request.method != "GET":
            return False
        params = request.query_params
        return (params.get("query") is None and params.get("extensions") is None
                and any(accept in request.headers.get("accept", "") for accept in ("text/html", "*/*")))

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequest:  # type: ignore[override]
        """The request's parameters; never raises: what is refused carries its RequestError."""
        try:
            if request.method in ("GET", "HEAD"):  # Starlette routes HEAD with GET
                data: Any = self.parse_query_params(request.query_params)
            else:
                media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
                if media_type != "application/json":
                    if self.persisted.only_listed:  # only JSON and GET carry a checkable document
                        return _refused(not_allowed())
                    return _refused(RequestError("Send the GraphQL request as application/json.",
                                                 "UNSUPPORTED_MEDIA_TYPE", 415))
                data = self.parse_json(await request.get_body())
        except HTTPException as exc:  # unreadable JSON (body, or `variables` / `extensions` of a GET)
            return _refused(RequestError(exc.reason, BAD_REQUEST, exc.status_code))
        if isinstance(data, list):
            return _refused(not_allowed() if self.persisted.only_listed
                            else RequestError("Batched requests are not supported.", BAD_REQUEST))
        if not isinstance(data, dict):
            return _refused(RequestError("The request body must be a JSON object.", BAD_REQUEST))
        for key, kinds, what in (("query", str, "a string"), ("operationName", str, "a string"),
                                 ("variables", dict, "an object"), ("extensions", dict, "an object")):
            if not isinstance(data.get(key), (kinds, type(None))):
                return _refused(RequestError(f"The GraphQL operation's `{key}` must be {what} or null, if provided.",
                                             BAD_REQUEST))
        return GraphQLRequest(query=data.get("query"), variables=data.get("variables"),
                              operation_name=data.get("operationName"), extensions=data.get("extensions"))

    async def execute_single(  # type: ignore[override]  # noqa: PLR0917
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response | None,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequest,
    ) -> ExecutionResult:
        """Persisted queries resolved, then the schema's pipeline (a request error carries the status)."""
        error, query, extensions, digest = request_data.error, request_data.query, request_data.extensions, None
        if error is None:
            try:
                query, extensions, digest = await self.resolve_persisted(request, query, extensions)
            except RequestError as exc:
                error = exc
        result = await self.schema.execute(
            query, variable_values=request_data.variables, context_value=context, root_value=root_value,
            operation_name=request_data.operation_name,
            allowed_operation_types=_ALLOWED[request_adapter.method],
            operation_extensions=extensions, request_error=error,
        )
        if digest is not None and query is not None and self.schema.documents.valid(query):
            await self.persisted.store(request.app.state.container.cache, digest, query)  # APQ registration
        return result

    async def resolve_persisted(self, request: Request | WebSocket, query: str | None, extensions: dict[str, Any] | None
                                ) -> tuple[str | None, dict[str, Any] | None, str | None]:
        """The document to run (APQ / allow-list), the extensions left, and the hash to register it under.
        Raises RequestError (PERSISTED_QUERY_*). HTTP and WebSocket operations alike (schema/websocket.py)."""
        persisted = PersistedQueries.requested(extensions)
        if persisted is None and not self.persisted.only_listed:
            return query, extensions, None
        query, digest = await self.persisted.resolve(request.app.state.container.cache, query, persisted)
        if persisted is not None:
            extensions = {k: v for k, v in extensions.items() if k != "persistedQuery"} or None  # type: ignore[union-attr]
        return query, extensions, digest

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """A request error has no `data` (nothing ran); anything else is Strawberry's shape."""
        if _request_error(result) is not None:
            return {"errors": [e.formatted for e in result.errors or ()]}  # type: ignore[typeddict-item]
        return process_result(result)


def _request_error(result: ExecutionResult) -> RequestError | None:
    errors = result.errors
    if errors and isinstance(errors[0], RequestError):
        return errors[0]
    return None
