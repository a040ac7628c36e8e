"""The Starlette application factory and its lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from tortoise.contrib.starlette import RegisterTortoise

from yourmusic.container import SANDBOX, SANDBOX_AGGREGATOR_PATH, SANDBOX_STRIPE_PATH, Container
from yourmusic.db import tortoise_config
from yourmusic.rest_compat.core import starlette_routes
from yourmusic.rest_compat.docs import render_docs
from yourmusic.rest_compat.openapi import build_openapi
from yourmusic.rest_compat.responses import JSONResponse, unexpected_error_response
from yourmusic.rest_compat.routes import OPERATIONS
from yourmusic.schema import build_schema
from yourmusic.schema.fastpath import FastGraphQL
from yourmusic.schema.view import GraphQLView
from yourmusic.settings import Settings, get_settings

log = logging.getLogger("yourmusic")

_HTTP_CODES = {404: ("NOT_FOUND", "Not found."), 405: ("METHOD_NOT_ALLOWED", "Method not allowed.")}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", exc.detail))
    return JSONResponse({"message": message, "code": code}, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return unexpected_error_response()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    openapi = build_openapi(OPERATIONS)
    docs_html = render_docs(openapi)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    async def docs(request: Request) -> Response:
        return HTMLResponse(docs_html)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        container = Container.build(settings)
        app.state.container = container
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            try:
                container.start_background()  # inside the database context: the tasks use the ORM
                yield
            finally:
                await container.close()

    schema = build_schema()
    graphql = FastGraphQL(schema, fallback=GraphQLView(schema, graphql_ide="graphiql"))
    routes = [
        *starlette_routes(OPERATIONS),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if settings.aggregator_url == SANDBOX:
        from yourmusic.integrations.aggregator.sandbox import create_app as sandbox_app

        routes.append(Mount(SANDBOX_AGGREGATOR_PATH, app=sandbox_app(consumer_key=settings.aggregator_key,
                                                                     consumer_secret=settings.aggregator_secret)))
    if settings.streaming_url == SANDBOX:
        from yourmusic.container import SANDBOX_STREAMING_PATH
        from yourmusic.integrations.streaming.sandbox import create_app as streaming_sandbox_app

        routes.append(Mount(SANDBOX_STREAMING_PATH, app=streaming_sandbox_app(
            api_key=settings.streaming_key, signing_secret=settings.streaming_signing_secret)))
    if settings.stripe_api_base == SANDBOX:
        from yourmusic.integrations.stripe.sandbox import create_app as stripe_sandbox_app

        self_url = settings.self_url.rstrip("/")
        routes.append(Mount(SANDBOX_STRIPE_PATH, app=stripe_sandbox_app(
            webhook_url=f"{self_url}/api/webhooks/stripe", webhook_secret=settings.stripe_webhook_secret,
            base_url=self_url + SANDBOX_STRIPE_PATH)))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.settings = settings
    return app
