"""The one way a GraphQL request runs: `YourMusicSchema.execute`, Strawberry's lifecycle with our steps.

Every /graphql request (GET and POST, persisted or not, refused or not: schema/view.py) ends here, so
Strawberry's `SchemaExtension` hooks (tracing: OpenTelemetry, Sentry, Apollo), the limits, error
masking and the operation metrics apply to all of them the same way:

    on_operation
      request error (body, batch, persisted query: raised by the view) -> answered, nothing parsed
      on_parse      DocumentCache: QueryLimits.parse once per document (token limit)
      on_validate   DocumentCache: QueryLimits.validate once per document (limits first, then the
                    rules); then per request: the operation to run (a document with several needs
                    operationName: a request error, never "the first one"), the operation type the
                    transport allows (a mutation over GET: 405), the cost on the coerced variables
      on_execute    graphql-core's execute (suggestions hidden when introspection is off), attribute fields
                    completed by selection plans (schema/selection_plans.py)
    errors: logged when unexpected (process_errors), then masked; metrics observed

An extension sees the original errors on `execution_context` (as Sentry wants); the client gets the
masked ones. `operationName: ""` means no operation name, on every way in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from inspect import CO_ITERABLE_COROUTINE
from types import CoroutineType, GeneratorType
from typing import Any

import strawberry
from graphql import (DocumentNode, GraphQLError, GraphQLObjectType, GraphQLSchema, OperationDefinitionNode, execute,
                     subscribe)
from graphql import OperationType as OperationTypeNode
from graphql import ExecutionResult as OriginalExecutionResult
from graphql.execution.values import get_variable_values
from graphql.execution.middleware import MiddlewareManager
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from yourmusic.db import database_unavailable
from yourmusic.errors import AppError, ServiceUnavailable
from yourmusic.observability.metrics import observe_graphql
from yourmusic.schema.limits import QueryLimits
from yourmusic.schema.selection_plans import ATTRIBUTE_MARK, PlannedExecutionContext, SelectionCache

log = logging.getLogger("yourmusic.graphql")

MASKED_MESSAGE = "Internal server error."
BAD_REQUEST = "BAD_REQUEST"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
_ALL_OPERATIONS = frozenset(OperationType)  # a WebSocket runs every operation type


class RequestError(GraphQLError):
    """A GraphQL request error: nothing was executed. Answered `{"errors": [{"message", "extensions":
    {"code"}}]}` without `data`, with HTTP `status` and `headers` (schema/view.py)."""

    def __init__(self, message: str, code: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, extensions={"code": code})
        self.code, self.status, self.headers = code, status, headers or {}


def is_unexpected(error: GraphQLError) -> bool:
    """Errors we did not raise on purpose: their text may hold internals, so it is masked."""
    original = error.original_error
    return original is not None and not isinstance(original, (AppError, GraphQLError))


def _masked(errors: list[GraphQLError] | None) -> list[GraphQLError] | None:
    return [masked(e) if is_unexpected(e) else e for e in errors] if errors else errors


def _located(exc: Exception) -> GraphQLError:
    """An exception out of a subscription's source stream as a GraphQL error (an AppError keeps its
    message and code; anything else is masked later)."""
    if isinstance(exc, AppError):
        return GraphQLError(exc.message, original_error=exc, extensions=exc.extensions)
    return GraphQLError(str(exc), original_error=exc)


def masked(error: GraphQLError) -> GraphQLError:
    """What a caller sees instead of an unexpected error: a database outage says so with REST's 503 code
    (retry later), anything else is a bare internal error. Never the text."""
    if database_unavailable(error.original_error):
        message, code = ServiceUnavailable.default_message, ServiceUnavailable.code
    else:
        message, code = MASKED_MESSAGE, "INTERNAL_SERVER_ERROR"
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, extensions={"code": code})


class Document:
    """One document as the cache keeps it: parsed (or its parse error), validated once, its operations."""

    __slots__ = ("node", "error", "errors", "operations", "named", "variable_cost", "large", "_selections")

    def __init__(self, node: DocumentNode | None, error: GraphQLError | None = None) -> None:
        self.node = node
        self.error = error
        self.errors: list[GraphQLError] | None = None  # None: not validated yet
        self.operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)] if node else []
        self.named = {d.name.value: d for d in self.operations if d.name}
        self.variable_cost: dict[int, bool] = {}  # id(operation) -> its cost depends on variable values
        self.large = False  # parsed and validated off the event loop (DocumentCache.OFF_LOOP_LENGTH)
        self._selections: SelectionCache | None | bool = False  # False: not looked at yet

    def selections(self) -> SelectionCache | None:
        """Its collected selection sets and plans, kept across requests (schema/selection_plans.py); None
        when variables decide what is collected (`@include(if: $var)`)."""
        if self._selections is False:
            assert self.node is not None
            self._selections = SelectionCache.for_document(self.node)
        return self._selections  # type: ignore[return-value]

    def operation(self, name: str | None) -> OperationDefinitionNode:
        """The operation a request runs. Raises RequestError (OPERATION_RESOLUTION_FAILURE, 400)."""
        if name is None:
            if len(self.operations) == 1:
                return self.operations[0]
            raise RequestError("Must provide operation name if query contains multiple operations."
                               if self.operations else "Must provide an operation.", OPERATION_RESOLUTION_FAILURE)
        found = self.named.get(name)
        if found is None:
            raise RequestError(f"Unknown operation named '{name}'.", OPERATION_RESOLUTION_FAILURE)
        return found


class DocumentCache:
    """Documents by their text, parsed and validated once (LRU of `size` documents and of `max_chars`
    characters of text in all, so padded 1 MB documents cannot pin hundreds of MB per worker); failing
    documents over 64 KiB are not kept. The only GraphQL document cache of the process.

    A new document longer than OFF_LOOP_LENGTH characters is parsed and validated on a worker thread
    (`parse` / `validate`): the work is bounded by the limits, but a client sending large new documents
    one after another would otherwise hold the event loop for each of them; on a thread the
    interpreter switches back to the loop every few milliseconds and other requests go on.
    """

    MAX_FAILING_LENGTH = 65_536
    OFF_LOOP_LENGTH = 4_096

    def __init__(self, schema: Any, limits: QueryLimits, size: int = 512, max_chars: int = 8 << 20) -> None:
        self.schema = schema  # graphql-core's GraphQLSchema
        self.limits = limits
        self.size = size
        self.max_chars = max_chars
        self._chars = 0  # the length of the kept documents' text, in all
        self._entries: OrderedDict[str, Document] = OrderedDict()

    def _cached(self, query: str) -> Document | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def _new(self, query: str) -> Document:
        """Parse `query` (pure: safe on a worker thread)."""
        try:
            return Document(self.limits.parse(query))
        except GraphQLError as error:
            return Document(None, error)

    def _keep(self, query: str, entry: Document) -> None:
        if len(query) > self.max_chars or query in self._entries:
            return
        if entry.node is not None or len(query) <= self.MAX_FAILING_LENGTH:
            self._entries[query] = entry
            self._chars += len(query)
            while len(self._entries) > self.size or self._chars > self.max_chars:
                dropped, _ = self._entries.popitem(last=False)
                self._chars -= len(dropped)

    async def parse(self, query: str) -> Document:
        """The cached entry of `query`; a large new one is parsed on a worker thread."""
        entry = self._cached(query)
        if entry is None:
            entry = await asyncio.to_thread(self._new, query) if len(query) > self.OFF_LOOP_LENGTH else self._new(query)
            entry.large = len(query) > self.OFF_LOOP_LENGTH
            self._keep(query, entry)
        return entry

    async def validate(self, entry: Document) -> list[GraphQLError]:
        """The validation errors of a parsed entry ([] when valid), computed once; a large document is
        validated on a worker thread."""
        if entry.errors is None:
            assert entry.node is not None
            if entry.large:
                errors = await asyncio.to_thread(self.limits.validate, self.schema, entry.node)
            else:
                errors = self.limits.validate(self.schema, entry.node)
            self._verdict(entry, errors)
        return entry.errors  # type: ignore[return-value]

    @staticmethod
    def _verdict(entry: Document, errors: list[GraphQLError]) -> None:
        """Keep the errors; a refused document keeps no syntax tree (a hostile one near the token limit
        is about a megabyte of objects, for the cache to hold and the collector to scan)."""
        if errors:
            errors = [GraphQLError(e.message, source=e.source, positions=e.positions, extensions=e.extensions)
                      for e in errors]  # the same answer (locations come from source + positions), no nodes
            entry.node = None
            entry.operations, entry.named = [], {}
        entry.errors = errors

    def valid(self, query: str) -> bool:
        """Whether `query` was parsed and validated without errors (APQ registers only those)."""
        entry = self._entries.get(query)
        return entry is not None and entry.node is not None and entry.errors == []

    def variable_cost(self, entry: Document, operation: OperationDefinitionNode) -> bool:
        key = id(operation)
        uses = entry.variable_cost.get(key)
        if uses is None:
            assert entry.node is not None
            uses = entry.variable_cost[key] = self.limits.cost_uses_variables(self.schema, entry.node, operation)
        return uses


class _NoHook:
    """The lifecycle step of a schema without extensions: nothing to enter (no per-request objects)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


class _NoHooks:
    """SchemaExtensionsRunner's shape when there is no extension."""

    _step = _NoHook()

    def operation(self) -> _NoHook:
        return self._step

    parsing = validation = executing = operation


_NO_HOOKS = _NoHooks()


def _attribute(name: str) -> Callable[..., Any]:
    """A basic field's resolver: the source's attribute `name`."""

    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    resolve._is_default = True  # type: ignore[attr-defined]  # as Strawberry marks its own: tracing skips it
    setattr(resolve, ATTRIBUTE_MARK, name)  # selection plans complete it inline (schema/selection_plans.py)
    return resolve


def _method(definition: Any, info_class: type) -> Callable[..., Any]:
    """The resolver of a field whose function takes only `self` and `info`: that function, called as
    Strawberry calls it (the source as `self`, Strawberry's Info by keyword); its value or awaitable as is."""
    func = definition.base_resolver.wrapped_func
    info_name = definition.base_resolver.info_parameter.name

    def resolve(source: Any, info: Any) -> Any:
        return func(source, **{info_name: info_class(_raw_info=info, _field=definition)})

    resolve._is_default = False  # type: ignore[attr-defined]  # traced, as Strawberry's
    return resolve


def _self_and_info_only(definition: Any) -> bool:
    resolver = definition.base_resolver
    return (resolver is not None and not definition.arguments and resolver.self_parameter is not None
            and resolver.info_parameter is not None and resolver.root_parameter is None
            and resolver.parent_parameter is None and len(resolver.signature.parameters) == 2)


def lean_resolvers(schema: GraphQLSchema, config: Any, exception_handlers: tuple[Any, ...] = ()) -> int:
    """Give the plainest fields a resolver of one call; answers how many fields got one.

    - a basic field (an attribute: no resolver, no field extension, no permission, no exception handler;
      Strawberry's `_get_basic_result`) reads it with `getattr` instead of Strawberry's three calls
      (`_get_basic_result`, `StrawberryField.get_result`, the `python_name` property);
    - a field whose function takes only `self` and `info` (no argument, extension, permission or exception
      handler; Strawberry's `_resolver` / `_async_resolver`) calls it with the source and Strawberry's Info,
      instead of seven calls (argument conversion, the extension chain, `get_result`, ...) and, for an
      async one, a second coroutine around it.
    Each is what Strawberry itself would call, with the same arguments; graphql-core runs the fields as
    before. A home page's answer has thousands of fields (bench/home_page.py). Nothing is replaced when
    `config.default_resolver` is not `getattr` or the schema has exception handlers (Strawberry's
    resolvers then carry them).
    """
    if config.default_resolver is not getattr or exception_handlers:
        return 0
    count = 0
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            definition = (field.extensions or {}).get("strawberry-definition")
            resolve = field.resolve
            if definition is None or resolve is None or definition.extensions:
                continue
            name = resolve.__name__
            if name == "_get_basic_result" and definition.is_basic_field and getattr(resolve, "_is_default", False):
                field.resolve = _attribute(definition.python_name)
            elif name in ("_resolver", "_async_resolver") and _self_and_info_only(definition):
                field.resolve = _method(definition, config.info_class)
            else:
                continue
            count += 1
    return count


_NEVER_AWAITABLE = (type(None), bool, int, float, str, bytes, bytearray, list, tuple, dict, set, frozenset)


def awaitable_check(schema: GraphQLSchema) -> Callable[[Any], bool]:
    """graphql-core's `is_awaitable` for this schema, asked about every resolved value: False at once for
    a value of a builtin type (as Strawberry's `optimized_is_awaitable`) or of one of the schema's own
    object types (a Release, a Track: these took two isinstance checks and a `hasattr`); anything else is
    checked as graphql-core does. A class defining `__await__` is never on the fast path."""
    plain = frozenset((*_NEVER_AWAITABLE, *(
        definition.origin for named in schema.type_map.values() if isinstance(named, GraphQLObjectType)
        if (definition := (named.extensions or {}).get("strawberry-definition")) is not None
        and isinstance(getattr(definition, "origin", None), type) and not hasattr(definition.origin, "__await__"))))

    def is_awaitable(value: Any) -> bool:
        if type(value) in plain:
            return False
        return (isinstance(value, CoroutineType)
                or (isinstance(value, GeneratorType) and bool(value.gi_code.co_flags & CO_ITERABLE_COROUTINE))
                or hasattr(value, "__await__"))

    return is_awaitable


class YourMusicSchema(strawberry.Schema):
    """Strawberry's Schema with the request pipeline above (`execute`); see the module docstring."""

    def __init__(self, *args: Any, limits: QueryLimits | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("execution_context_class", PlannedExecutionContext)
        super().__init__(*args, **kwargs)
        self.limits = limits or QueryLimits()
        self.documents = DocumentCache(self._schema, self.limits)
        lean_resolvers(self._schema, self.config, self.exception_handlers)
        self.is_awaitable = awaitable_check(self._schema)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only what is a bug; an expected NOT_FOUND or 422 is an answer, not an incident."""
        for error in errors:
            if is_unexpected(error):
                log.error("unhandled error in %s", error.path, exc_info=error.original_error)

    async def execute(  # type: ignore[override]  # noqa: PLR0917
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
        *,
        request_error: RequestError | None = None,
    ) -> ExecutionResult:
        """Run one GraphQL request; never raises for anything the client sent.

        `request_error`: the request was refused before it had a document (schema/view.py); it is
        answered inside the operation lifecycle so extensions, metrics and the access log see it.
        The result's errors are masked; a RequestError among them carries the HTTP status.
        """
        started = time.perf_counter()
        ctx = ExecutionContext(
            query=query, schema=self,
            allowed_operations=DEFAULT_ALLOWED_OPERATION_TYPES if allowed_operation_types is None
            else allowed_operation_types,
            context=context_value, root_value=root_value, variables=variable_values,
            validation_rules=self.limits.rules,
            provided_operation_name=operation_name or None,  # "" is no name, as null is
            operation_extensions=operation_extensions,
        )
        extensions = self.get_extensions() if self.extensions else []
        for extension in extensions:
            extension.execution_context = ctx
        runner = self.create_extensions_runner(ctx, extensions) if extensions else _NO_HOOKS
        operation: OperationDefinitionNode | None = None
        try:
            async with runner.operation():
                operation = await self._run(ctx, runner, extensions, request_error)
        except Exception as exc:  # noqa: BLE001  an extension's hook failed: a masked error, as Strawberry does
            error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            ctx.result = ExecutionResult(data=None, errors=[error])
            self.process_errors([error], ctx)
        result = ctx.result
        assert result is not None
        errors = result.errors
        if errors:
            errors = [masked(e) if is_unexpected(e) else e for e in errors]
        answer = ExecutionResult(data=result.data, errors=errors,
                                 extensions=await runner.get_extensions_results(ctx) if extensions else None)
        name = (operation.name.value if operation is not None and operation.name else ctx._provided_operation_name)
        observe_graphql(name, operation.operation.value if operation is not None else "unknown", not errors,
                        time.perf_counter() - started)
        return answer

    async def _run(self, ctx: ExecutionContext, runner: Any, extensions: list[Any],
                   request_error: RequestError | None) -> OperationDefinitionNode | None:
        """Parse, validate, pick the operation, execute; `ctx.result` holds the outcome."""
        document, operation = await self._prepare(ctx, runner, request_error)
        if document is None or operation is None:
            return operation
        assert document.node is not None
        async with runner.executing():
            if not ctx.result:  # an extension may answer from a cache of its own
                resolving = [e for e in extensions if e._implements_resolve()]
                result = execute(
                    self._schema, document.node, root_value=ctx.root_value, context_value=ctx.context,
                    variable_values=ctx.variables, operation_name=ctx._provided_operation_name,
                    middleware=MiddlewareManager(*resolving) if resolving else None,
                    is_awaitable=self.is_awaitable, executor_class=self.execution_context_class,
                    hide_suggestions=self.limits.hide_suggestions, operation_extensions=ctx.operation_extensions,
                    **self._selection_cache(document),
                )
                if self.is_awaitable(result):
                    result = await result
                ctx.result = result
            if ctx.result.errors:
                ctx.pre_execution_errors = ctx.result.errors
                self.process_errors(ctx.result.errors, ctx)
        return operation

    def _selection_cache(self, document: Document) -> dict[str, Any]:
        """The executor's keyword for the document's SelectionCache (none for an executor class of another
        kind, e.g. one given to the constructor)."""
        if not issubclass(self.execution_context_class, PlannedExecutionContext):
            return {}
        return {"selection_cache": document.selections()}

    async def _prepare(self, ctx: ExecutionContext, runner: Any, request_error: RequestError | None
                       ) -> tuple[Document | None, OperationDefinitionNode | None]:
        """Parse and validate (limits included), pick the operation and check it: the document and the
        operation to run, or `ctx.result` set to the refusal (then the document is None)."""
        if request_error is None and not ctx.query:
            request_error = RequestError("No GraphQL query found in the request.", BAD_REQUEST)
        if request_error is not None:
            self._refuse(ctx, [request_error])
            return None, None
        async with runner.parsing():
            document = await self.documents.parse(ctx.query)  # type: ignore[arg-type]
            ctx.graphql_document = document.node  # None for a document refused before (its errors are kept)
        if document.error is not None:
            self._refuse(ctx, [document.error])
            return None, None
        operation: OperationDefinitionNode | None = None
        async with runner.validation():
            errors = await self.documents.validate(document)
            if not errors:
                try:
                    operation = document.operation(ctx._provided_operation_name)
                    errors = self._check_operation(ctx, document, operation)
                except RequestError as error:
                    errors = [error]
            ctx.pre_execution_errors = errors
        if errors:
            self._refuse(ctx, errors)
            return None, operation
        assert operation is not None and document.node is not None
        return document, operation

    async def stream(  # type: ignore[override]  # noqa: PLR0917
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        """Run one operation of a WebSocket (graphql-transport-ws, schema/live_transport.py) through the
        same pipeline: a query or mutation answers once (`execute`), a subscription answers each event.

        Parse, validation, limits, masking and metrics as `execute` (the metrics observe a subscription
        once, when it starts). What ends a stream with an error (refused at the start, NOT_FOUND,
        INVALID_AUTH_TOKEN while it runs) is yielded as a `PreExecutionError`: the transport sends it as
        the operation's terminal `error` message.

        Each operation runs on its own copy of the connection's context (`Context.for_operation`: its
        own DataLoaders, fresh for every event of a subscription). A query or mutation is parsed and
        validated here and again (cached) by `execute`, so an extension sees two `on_operation`s for it.
        """
        for_operation = getattr(context_value, "for_operation", None)
        if for_operation is not None:
            context_value = for_operation()
        return self._stream_operation(query, variable_values, context_value, root_value, operation_name,
                                      operation_extensions)

    async def _stream_operation(  # noqa: PLR0917
        self, query: str | None, variable_values: dict[str, Any] | None, context_value: Any, root_value: Any,
        operation_name: str | None, operation_extensions: dict[str, Any] | None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        started = time.perf_counter()
        ctx = ExecutionContext(
            query=query, schema=self, allowed_operations=_ALL_OPERATIONS, context=context_value,
            root_value=root_value, variables=variable_values, validation_rules=self.limits.rules,
            provided_operation_name=operation_name or None, operation_extensions=operation_extensions,
        )
        extensions = self.get_extensions() if self.extensions else []
        for extension in extensions:
            extension.execution_context = ctx
        runner = self.create_extensions_runner(ctx, extensions) if extensions else _NO_HOOKS
        document: Document | None = None
        operation: OperationDefinitionNode | None = None
        try:
            async with runner.operation():
                document, operation = await self._prepare(ctx, runner, None)
        except Exception as exc:  # noqa: BLE001  an extension's hook failed, as in `execute`
            error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            self._refuse(ctx, [error])
            document = None
        name = (operation.name.value if operation is not None and operation.name else ctx._provided_operation_name)
        kind = operation.operation.value if operation is not None else "unknown"
        if document is None or operation is None:
            observe_graphql(name, kind, False, time.perf_counter() - started)
            assert ctx.result is not None
            yield PreExecutionError(data=None, errors=_masked(ctx.result.errors))
            return
        if operation.operation is not OperationTypeNode.SUBSCRIPTION:
            yield await self.execute(query, variable_values, context_value, root_value, operation_name,
                                     operation_extensions=operation_extensions)
            return
        source: Any = subscribe(
            self._schema, document.node, root_value=root_value, context_value=context_value,  # type: ignore[arg-type]
            variable_values=variable_values, operation_name=ctx._provided_operation_name,
            executor_class=self.execution_context_class, hide_suggestions=self.limits.hide_suggestions,
            operation_extensions=operation_extensions, **self._selection_cache(document),
        )
        if self.is_awaitable(source):
            source = await source
        if isinstance(source, OriginalExecutionResult):  # arguments or variables refused
            observe_graphql(name, kind, False, time.perf_counter() - started)
            self.process_errors(source.errors or [], ctx)
            yield PreExecutionError(data=None, errors=_masked(source.errors))
            return
        observe_graphql(name, kind, True, time.perf_counter() - started)
        async with aclosing(source):  # type: ignore[type-var]
            try:
                async for result in source:
                    if result.errors:
                        self.process_errors(result.errors, ctx)
                    yield ExecutionResult(data=result.data, errors=_masked(result.errors))
            except GraphQLError as error:
                self.process_errors([error], ctx)
                yield PreExecutionError(data=None, errors=_masked([error]))
            except Exception as exc:  # noqa: BLE001  the source stream failed (AppError: NOT_FOUND, ...)
                error = _located(exc)
                self.process_errors([error], ctx)
                yield PreExecutionError(data=None, errors=_masked([error]))

    def _check_operation(self, ctx: ExecutionContext, document: Document,
                         operation: OperationDefinitionNode) -> list[GraphQLError]:
        """The operation type the transport allows, and the cost on the coerced variable values."""
        kind = OperationType(operation.operation.value)
        if kind is OperationType.SUBSCRIPTION and kind not in ctx.allowed_operations:
            raise RequestError("Subscriptions run over a WebSocket on /graphql (graphql-transport-ws).", BAD_REQUEST)
        if kind not in ctx.allowed_operations:
            # Only GET restricts the types (GraphQL over HTTP: 405, and say which method works).
            raise RequestError(f"Can only perform a {kind.value} operation from a POST request.",
                               "METHOD_NOT_ALLOWED", status=405, headers={"Allow": "POST"})
        if not self.documents.variable_cost(document, operation):
            return []
        coerced = get_variable_values(self._schema, operation.variable_definitions or (), ctx.variables or {},
                                      max_errors=50, hide_suggestions=self.limits.hide_suggestions)
        if isinstance(coerced, list):
            return []  # execution reports the coercion errors, as for any document
        assert document.node is not None
        return self.limits.operation_cost(self._schema, document.node, operation, coerced.coerced)

    def _refuse(self, ctx: ExecutionContext, errors: list[GraphQLError]) -> None:
        ctx.pre_execution_errors = errors
        ctx.result = ExecutionResult(data=None, errors=errors)
        self.process_errors(errors, ctx)

    def execute_sync(self, *args: Any, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        """Not offered: every request goes through `execute` (limits, masking, metrics)."""
        raise NotImplementedError("YourMusicSchema runs requests with `await schema.execute(...)` only")
