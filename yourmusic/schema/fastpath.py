"""/graphql's fast path: a JSON POST of a known document runs straight on graphql-core.

Strawberry's HTTP view does a lot per request (request adapters, extension managers, response
objects). For the common case (application/json POST, one operation, a document seen before) this
app parses and validates each document once (LRU), executes it on the schema Strawberry built, masks
unexpected errors exactly like the MaskErrors extension, and answers with orjson. Everything else
(GET, GraphiQL, batches, multipart, invalid documents, subscriptions) goes to Strawberry's view, so
behaviour and error answers stay Strawberry's own.
"""

from __future__ import annotations

import logging
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
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.execution.is_awaitable import optimized_is_awaitable

from yourmusic.context import Context
from yourmusic.schema.build import YourMusicSchema, is_unexpected, MASKED_MESSAGE

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
    def __init__(self, schema: YourMusicSchema, fallback: Any, cache_size: int = 512) -> None:
        self.schema = schema
        self.fallback = fallback
        self.cache_size = cache_size
        self._documents: OrderedDict[str, _Document | None] = OrderedDict()

    def _document(self, query: str) -> _Document | None:
        """Parsed and validated once; None for a document with errors (Strawberry reports those)."""
        if query in self._documents:
            self._documents.move_to_end(query)
            return self._documents[query]
        try:
            node = parse(query)
        except GraphQLError:
            doc = None
        else:
            doc = None if validate(self.schema._schema, node) else _Document(node)
        self._documents[query] = doc
        if len(self._documents) > self.cache_size:
            self._documents.popitem(last=False)
        return doc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.fallback(scope, receive, send)
        request = Request(scope, receive)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return await self.fallback(scope, receive, send)
        body = await request.body()
        plan = self._plan(body)
        if plan is None:
            # Hand the already-read body to Strawberry's view.
            async def replay() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            return await self.fallback(scope, replay, send)
        document, variables, operation_name = plan
        ctx = Context(request=request, container=request.app.state.container)
        result = execute(self.schema._schema, document.node, context_value=ctx, variable_values=variables,
                         operation_name=operation_name, is_awaitable=optimized_is_awaitable,
                         executor_class=self.schema.execution_context_class)
        if optimized_is_awaitable(result):
            result = await result
        response = Response(orjson.dumps(self._format(result, ctx)), media_type="application/json")
        await response(scope, receive, send)

    def _plan(self, body: bytes) -> tuple[_Document, dict[str, Any] | None, str | None] | None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("query"), str) or data.get("extensions"):
            return None
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
                {"message": MASKED_MESSAGE, "locations": _locations(e), "path": e.path} if is_unexpected(e)
                else e.formatted
                for e in result.errors
            ]
        return out


def _locations(error: GraphQLError) -> list[dict[str, int]] | None:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations] if error.locations else None
