"""OpenTelemetry tracing: on when OTEL_EXPORTER_OTLP_ENDPOINT is set, absent (nothing imported) otherwise.

Spans, all from OpenTelemetry's own instrumentation packages and Strawberry's extension:
- the HTTP request (opentelemetry-instrumentation-starlette: server span named by route template, its
  URL without the query string);
- the GraphQL operation, its parse / validation steps and each resolver (Strawberry's
  OpenTelemetryExtension, a SchemaExtension: it runs on every /graphql request, schema/execution.py);
- database queries (opentelemetry-instrumentation-tortoiseorm: SQLite and PostgreSQL, statement
  without parameters);
- upstream HTTP calls (opentelemetry-instrumentation-aiohttp-client: aggregator, streaming, Stripe;
  URLs without their query string, which carries OAuth signatures).

Spans leave through a BatchSpanProcessor and the OTLP/HTTP exporter, configured by the standard
OTEL_EXPORTER_OTLP_* variables; OTEL_SERVICE_NAME names the service. No secret reaches a span: resolver
arguments named like one (`*token*`, `*code*`, `*secret*`, ...) are redacted as in the logs, input
objects appear by type name only, and SQL parameters are not recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from yourmusic.observability.logging import REDACTED, redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from starlette.applications import Starlette


_SCALARS = (str, int, float, bool)


def _redacted_args(args: dict[str, Any], info: Any) -> dict[str, Any]:
    """Resolver arguments for span attributes (Strawberry's `arg_filter`): scalars and lists of scalars
    with secrets replaced; an input object only by its type name (its fields may hold a code or token)."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        if value is None or isinstance(value, _SCALARS) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, _SCALARS) for v in value)):
            out[key] = redact(key, value)
        else:
            out[key] = f"<{type(value).__name__}>"
    return out


_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")


def _server_request_hook(span: Any, scope: dict[str, Any]) -> None:
    """The HTTP server span without the query string: a GET /graphql carries its document there (a
    literal token or code), and a REST path may carry an email address."""
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", REDACTED)


def _url_without_query(url: Any) -> str:
    """aiohttp-client's `url_filter`: the URL of an upstream call without its query (OAuth signatures)."""
    return str(url.with_query(None))


class Tracing:
    """One tracer provider and the instrumentations it feeds, for one application.

    `exporter`: where spans go (tests pass an InMemorySpanExporter, spans then leave at once);
    default: OTLP over HTTP, batched. `install(app)` instruments the app and the libraries;
    `shutdown()` removes the library instrumentations and flushes the spans.
    """

    def __init__(self, service_name: str, exporter: SpanExporter | None = None) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        self.provider: TracerProvider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self._instrumentors: list[Any] = []

    @classmethod
    def from_settings(cls, settings: Any, exporter: SpanExporter | None = None) -> Tracing | None:
        """Tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set (or an exporter is given), else None."""
        if not settings.otel_exporter_otlp_endpoint and exporter is None:
            return None
        return cls(settings.otel_service_name, exporter)

    def schema_extensions(self) -> list[Any]:
        """Strawberry's OpenTelemetry extension on this provider (a factory: one instance per request),
        without the document text as a span attribute: a document may carry a literal token or code."""
        from inspect import isawaitable

        from opentelemetry import trace
        from strawberry.extensions import LifecycleStep
        from strawberry.extensions.tracing import OpenTelemetryExtension
        from strawberry.extensions.tracing.utils import should_skip_tracing

        async def finish(span: Any, result: Any) -> Any:
            with trace.use_span(span, end_on_exit=True):
                return await result

        class Extension(OpenTelemetryExtension):
            skips_attribute_fields = True  # schema/selection_plans.py: attribute fields run without this hook

            def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
                """Strawberry's resolver span, without its `async def`: as a per-field hook that made every
                field of every answer a coroutine (an attribute read included). A field Strawberry does not
                trace (an attribute, introspection) is resolved as without tracing; a traced one gets its
                span around the resolver and, when that answers an awaitable, until it is awaited."""
                if should_skip_tracing(_next, info):
                    return _next(root, info, *args, **kwargs)
                span = self._tracer.start_span(
                    f"GraphQL Resolving: {info.field_name}",
                    context=trace.set_span_in_context(self._span_holder[LifecycleStep.OPERATION]))
                self.add_tags(span, info, kwargs)
                try:
                    with trace.use_span(span, end_on_exit=False):
                        result = _next(root, info, *args, **kwargs)
                except BaseException:
                    span.end()
                    raise
                if isawaitable(result):
                    return finish(span, result)
                span.end()
                return result

            def on_operation(self) -> Iterator[None]:
                ctx = self.execution_context
                query, ctx.query = ctx.query, None  # Strawberry records `query` when it has one
                steps = super().on_operation()
                try:
                    next(steps)
                finally:
                    ctx.query = query
                yield
                next(steps, None)

        provider = self.provider
        return [lambda: Extension(tracer_provider=provider, arg_filter=_redacted_args)]

    def install(self, app: Starlette) -> None:
        """The HTTP server span on `app`, database and upstream HTTP spans process-wide."""
        from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor
        from opentelemetry.instrumentation.tortoiseorm import TortoiseORMInstrumentor

        StarletteInstrumentor.instrument_app(app, tracer_provider=self.provider,
                                             server_request_hook=_server_request_hook)
        for instrumentor, options in ((TortoiseORMInstrumentor(), {}),
                                      (AioHttpClientInstrumentor(), {"url_filter": _url_without_query})):
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=self.provider, **options)
                self._instrumentors.append(instrumentor)

    def shutdown(self) -> None:
        for instrumentor in self._instrumentors:
            instrumentor.uninstrument()
        self._instrumentors.clear()
        self.provider.shutdown()
