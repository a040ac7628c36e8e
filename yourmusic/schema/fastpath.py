"""/graphql's fast path: a JSON POST of a known document runs straight on graphql-core.

Strawberry's HTTP view does a lot per request (request adapters, extension managers, response
objects). For the common case (application/json POST, one operation, a document seen before) this
app parses and validates each document once (LRU), executes it on the schema Strawberry built, masks
unexpected errors exactly like the MaskErrors extension, and answers with orjson. Everything else
(GET, GraphiQL, batches, multipart, invalid documents, subscriptions) goes to Strawberry's view, so
behaviour and error answers stay Strawberry's own.

Both paths apply the same QueryLimits (schema/limits.py: tokens at parse, depth/aliases/cost/
introspection as validation rules), and persisted queries (schema/persisted.py) are resolved here,
before either path runs, for JSON POSTs and GETs alike.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    validate,
)
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.execution.is_awaitable import optimized_is_awaitable

from yourmusic.context import Context
from yourmusic.observability.metrics import observe_graphql
from yourmusic.schema.build import YourMusicSchema, is_unexpected, masked
from yourmusic.schema.limits import QueryLimits
from yourmusic.schema.persisted import PersistedQueries, PersistedQueryError

log = logging.getLogger("yourmusic.graphql")


class _Document:
    __slots__ = ("node", "operations")

    def __init__(self, node: DocumentNode) -> None:
        self.node = node
        self.operations = {
            (d.name.value if d.name else None): d.operation
            for d in node.definitions
            if isinstance(d, OperationDefinitionNode)
        }


class FastGraphQL:
    def __init__(self, schema: YourMusicSchema, fallback: Any, cache_size: int = 512,
                 limits: QueryLimits | None = None, persisted: PersistedQueries | None = None) -> None:
        self.schema = schema
        self.fallback = fallback
        self.cache_size = cache_size
        # The same limits Strawberry's pipeline applies (build_schema(limits)): one definition.
        self.limits = limits or QueryLimits()
        self.persisted = persisted or PersistedQueries()
        self._documents: OrderedDict[str, _Document | None] = OrderedDict()

    def _document(self, query: str) -> _Document | None:
        """Parsed and validated once; None for a document with errors (Strawberry reports those)."""
        if query in self._documents:
            self._documents.move_to_end(query)
            return self._documents[query]
        try:
            node = self.limits.parse(query)  # token limit
        except GraphQLError:
            doc = None
        else:  # depth, aliases, cost, introspection: the rules Strawberry's pipeline adds too
            doc = None if validate(self.schema._schema, node, rules=self.limits.all_rules) else _Document(node)
        if doc is None and len(query) > 65_536:
            return None  # a large failing document is not worth keeping
        self._documents[query] = doc
        if len(self._documents) > self.cache_size:
            self._documents.popitem(last=False)
        return doc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.fallback(scope, receive, send)
        if scope["method"] in ("GET", "HEAD"):
            return await self._get(scope, receive, send)
        if scope["method"] != "POST":
            return await self.fallback(scope, receive, send)
        request = Request(scope, receive)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            if self.persisted.mode == "allowlist":  # only JSON POST and GET carry a checkable document
                return await _pq_error(PersistedQueryError(
                    "Only persisted queries are allowed on this server.", "PERSISTED_QUERY_NOT_ALLOWED"),
                    scope, receive, send)
            return await self.fallback(scope, receive, send)
        body = await request.body()
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        digest = None
        if isinstance(data, dict):
            try:
                resolved, digest = await self._persisted(request, data)
            except PersistedQueryError as exc:
                return await _pq_error(exc, scope, receive, send)
            if resolved is not data:
                data = resolved
                body = orjson.dumps(data)  # what Strawberry sees if it answers: the document filled in
        elif self.persisted.mode == "allowlist" and isinstance(data, list):
            return await _pq_error(PersistedQueryError(  # a batch would carry unchecked documents
                "Only persisted queries are allowed on this server.", "PERSISTED_QUERY_NOT_ALLOWED"),
                scope, receive, send)
        plan = self._plan(data)
        if plan is not None and digest is not None:
            await self.persisted.store(request.app.state.container.cache, digest, data["query"])
        if plan is None:
            # Hand the already-read body to Strawberry's view.
            async def replay() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            return await self.fallback(scope, replay, send)
        document, variables, operation_name = plan
        ctx = Context(request=request, container=request.app.state.container)
        started = time.perf_counter()
        result = execute(self.schema._schema, document.node, context_value=ctx, variable_values=variables,
                         operation_name=operation_name, is_awaitable=optimized_is_awaitable,
                         executor_class=self.schema.execution_context_class)
        if optimized_is_awaitable(result):
            result = await result
        name = operation_name or next(iter(document.operations))
        observe_graphql(name, document.operations[name].value, not result.errors, time.perf_counter() - started)
        response = Response(orjson.dumps(self._format(result, ctx)), media_type="application/json")
        await response(scope, receive, send)

    async def _persisted(self, request: Request, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The request with its document resolved (APQ / allow-list), and the hash to register it under."""
        extensions = data.get("extensions")
        persisted = PersistedQueries.requested(extensions)
        if persisted is None and self.persisted.mode != "allowlist":
            return data, None
        query, digest = await self.persisted.resolve(request.app.state.container.cache, data.get("query"), persisted)
        data = {**data, "query": query}
        if persisted is not None:
            rest = {k: v for k, v in extensions.items() if k != "persistedQuery"}
            data["extensions"] = rest or None
        return data, digest

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET goes to Strawberry's view (queries only, GraphiQL); persisted queries are resolved first."""
        params = QueryParams(scope.get("query_string", b"").decode("latin-1"))
        raw = params.get("extensions")
        try:
            extensions = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            extensions = None  # Strawberry answers the malformed parameter
        persisted = PersistedQueries.requested(extensions)
        if persisted is None and "query" not in params and getattr(self.fallback, "graphql_ide", None) is None:
            # GRAPHIQL=false: a page request is a plain 404 in the contract's shape (Strawberry's is text)
            response = Response(orjson.dumps({"message": "Not found.", "code": "NOT_FOUND"}), status_code=404,
                                media_type="application/json")
            return await response(scope, receive, send)
        if persisted is None and (self.persisted.mode != "allowlist" or "query" not in params):
            return await self.fallback(scope, receive, send)
        request = Request(scope, receive)
        cache = request.app.state.container.cache
        try:
            query, digest = await self.persisted.resolve(cache, params.get("query"), persisted)
        except PersistedQueryError as exc:
            return await _pq_error(exc, scope, receive, send)
        if digest is not None and self._document(query) is not None:
            await self.persisted.store(cache, digest, query)
        items = [(k, v) for k, v in params.multi_items() if k not in ("query", "extensions")]
        scope = {**scope, "query_string": urlencode([("query", query), *items]).encode("latin-1")}
        return await self.fallback(scope, receive, send)

    def _plan(self, data: Any) -> tuple[_Document, dict[str, Any] | None, str | None] | None:
        if not isinstance(data, dict) or not isinstance(data.get("query"), str):
            return None
        if data.get("extensions") is not None and not isinstance(data["extensions"], dict):
            return None  # Strawberry answers the malformed parameter
        variables, operation_name = data.get("variables"), data.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return None
        if operation_name is not None and not isinstance(operation_name, str):
            return None
        document = self._document(data["query"])
        if document is None:
            return None
        if operation_name is None and len(document.operations) != 1:
            return None
        kind = document.operations.get(operation_name) if operation_name else next(iter(document.operations.values()))
        if kind not in (OperationType.QUERY, OperationType.MUTATION):
            return None
        return document, variables, operation_name

    def _format(self, result: ExecutionResult, ctx: Context) -> dict[str, Any]:
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            self.schema.process_errors(result.errors)
            out["errors"] = [
                masked(e).formatted if is_unexpected(e) else e.formatted
                for e in result.errors
            ]
        return out


async def _pq_error(exc: PersistedQueryError, scope: Scope, receive: Receive, send: Send) -> None:
    await Response(orjson.dumps(exc.body()), status_code=exc.status, media_type="application/json")(scope, receive, send)
