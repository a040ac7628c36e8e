"""The Starlette application factory and its lifespan."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.middleware import Middleware
from starlette.routing import Mount, Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise

from yourmusic.bodylimit import BodyLimitMiddleware
from yourmusic.container import SANDBOX, SANDBOX_AGGREGATOR_PATH, SANDBOX_STRIPE_PATH, Container
from yourmusic.db import tortoise_config
from yourmusic.observability.health import readiness
from yourmusic.observability.metrics import render as render_metrics
from yourmusic.observability.metrics import worker_exit as metrics_worker_exit
from yourmusic.observability.middleware import ObservabilityMiddleware
from yourmusic.observability.tracing import Tracing
from yourmusic.rest_compat.core import starlette_routes
from yourmusic import __version__
from yourmusic.rest_compat.openapi import API_TITLE, build_openapi
from yourmusic.rest_compat.responses import JSONResponse, unexpected_error_response
from yourmusic.rest_compat.routes import OPERATIONS
from yourmusic.schema import build_schema
from yourmusic.schema.limits import QueryLimits
from yourmusic.schema.persisted import PersistedQueries
from yourmusic.schema.view import GraphQLView
from yourmusic.schema.websocket import LiveOptions
from yourmusic.proxies import proxy_headers
from yourmusic.security.cors import TenantCORSMiddleware
from yourmusic.security.origins import parse_origin_list
from yourmusic.settings import Settings, get_settings
from yourmusic.landing import developer_routes
from yourmusic.webui import STATIC_PREFIX, static_app

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("yourmusic")

_HTTP_CODES = {404: ("NOT_FOUND", "Not found."), 405: ("METHOD_NOT_ALLOWED", "Method not allowed.")}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", exc.detail))
    return JSONResponse({"message": message, "code": code}, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return unexpected_error_response()


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document, built on the first /openapi.json (about 0.2 s of pydantic JSON schemas: not
    at start, issue 17.9) and kept: the route table is fixed."""
    return build_openapi(OPERATIONS)


def create_app(settings: Settings | None = None, *, span_exporter: SpanExporter | None = None,
               schema_extensions: Sequence[Any] = ()) -> Starlette:
    """The application. Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT is set, or when `span_exporter`
    is given (tests: an in-memory exporter); off, nothing of OpenTelemetry is imported.
    `schema_extensions`: more Strawberry SchemaExtension classes or factories, run on every /graphql request."""
    settings = settings or get_settings()
    settings.check_profile()  # production never starts on a sandbox secret or upstream
    tracing = Tracing.from_settings(settings, span_exporter)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        ready, body = await readiness(request.app.state.container, settings.ready_timeout,
                                      settings.ready_requires_cache)
        return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})

    async def metrics_endpoint(request: Request) -> Response:
        payload, content_type = render_metrics()
        return Response(payload, media_type=content_type, headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        container = Container.build(settings)
        app.state.container = container
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            try:
                container.start_background()  # inside the database context: the tasks use the ORM
                # What startup built (modules, the schema, its types) lives as long as the process: out of
                # the collector's sight, a full collection scans only what requests allocate (bench/hostile.py:
                # a 2,000-token document allocates enough to trigger one; 0.2 s each before, a few ms now).
                gc.freeze()
                yield
            finally:
                await container.close()
                metrics_worker_exit()
                if tracing is not None:
                    tracing.shutdown()

    # Every /graphql request, whatever it carries, runs through this view and the schema's pipeline.
    schema = build_schema(QueryLimits.from_settings(settings), extensions=[
        *(tracing.schema_extensions() if tracing is not None else ()), *schema_extensions])
    graphql = GraphQLView(schema, graphql_ide="graphiql" if settings.graphiql else None,
                          persisted=PersistedQueries.from_settings(settings),
                          live=LiveOptions.from_settings(settings, frozenset(parse_origin_list(settings.cors_origins))),
                          init_timeout=settings.live_init_timeout)
    routes = [
        # First: Starlette tries routes in order, and /graphql answers most of the traffic (behind the REST
        # table it cost ~38 pattern matches per request, about a tenth of a `{ heartbeat }`: bench/perf.py).
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),  # graphql-transport-ws: subscriptions (schema/websocket.py)
        *starlette_routes(OPERATIONS),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *developer_routes(settings, API_TITLE, __version__),  # /, /docs, /docs/try and (development) /_dev/outbox
        Route("/healthz", healthz, methods=["GET"]),
        Mount(STATIC_PREFIX, app=static_app()),  # GraphiQL and Redoc assets, vendored (no CDN)
        Route("/readyz", readyz, methods=["GET"]),
    ]
    # The embedded sandboxes (with their control and listing endpoints) are for development only:
    # production refused to start on a sandbox upstream above.
    sandboxes = not settings.production
    if sandboxes and settings.aggregator_url == SANDBOX:
        from yourmusic.integrations.aggregator.sandbox import create_app as sandbox_app

        routes.append(Mount(SANDBOX_AGGREGATOR_PATH, app=sandbox_app(consumer_key=settings.aggregator_key,
                                                                     consumer_secret=settings.aggregator_secret)))
    if sandboxes and settings.streaming_url == SANDBOX:
        from yourmusic.container import SANDBOX_STREAMING_PATH
        from yourmusic.integrations.streaming.sandbox import create_app as streaming_sandbox_app

        routes.append(Mount(SANDBOX_STREAMING_PATH, app=streaming_sandbox_app(
            api_key=settings.streaming_key, signing_secret=settings.streaming_signing_secret)))
    if sandboxes and settings.stripe_api_base == SANDBOX:
        from yourmusic.integrations.stripe.sandbox import create_app as stripe_sandbox_app

        self_url = settings.self_url.rstrip("/")
        routes.append(Mount(SANDBOX_STRIPE_PATH, app=stripe_sandbox_app(
            webhook_url=f"{self_url}/api/webhooks/stripe", webhook_secret=settings.stripe_webhook_secret,
            base_url=self_url + SANDBOX_STRIPE_PATH)))
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))  # not in /openapi.json
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        middleware=[*proxy_headers(settings.trusted_proxies),  # outermost: every layer sees the real client
                    Middleware(ObservabilityMiddleware, access=settings.access_log, metrics=settings.metrics_enabled),
                    Middleware(TenantCORSMiddleware, origins=parse_origin_list(settings.cors_origins)),
                    Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)],  # 413 on every route
    )
    app.state.settings = settings
    app.state.tracing = tracing
    if tracing is not None:
        tracing.install(app)  # the HTTP span outermost, around the request id, access log and body limit
    return app
