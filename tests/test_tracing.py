"""OpenTelemetry tracing (observability/tracing.py): spans for the HTTP request, the GraphQL operation,
database queries and upstream HTTP calls, in one trace; no secrets in them; nothing when it is off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from yourmusic.container import Container

QUERY = '{ users(perPage: 2) { data { id } } track(id: "2") { title } }'


@pytest_asyncio.fixture
async def traced(app_with: Any, settings: Any) -> AsyncIterator[tuple[Any, InMemorySpanExporter]]:
    """A client of an app with tracing on (in-memory exporter) and a container of its own, so its
    upstream sessions are made after the instrumentation and its cache starts empty."""
    exporter = InMemorySpanExporter()
    container = Container.build(settings)
    http = app_with(create={"span_exporter": exporter}, container=container)
    try:
        yield http, exporter
    finally:
        http.app.state.tracing.shutdown()
        await container.close()


def _attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_a_graphql_request_is_one_trace_down_to_sql_and_upstream_calls(traced, tenant):
    http, exporter = traced
    r = await http.post("/graphql", json={"query": QUERY}, headers=tenant.auth)
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.kind == SpanKind.SERVER and s.name.startswith("POST /graphql")]
    assert len(server) == 1, [s.name for s in spans]
    http_span = server[0]
    trace_id = http_span.context.trace_id
    spans = [s for s in spans if s.context.trace_id == trace_id]  # the request's trace (fixtures made others)
    by_id = {s.context.span_id: s for s in spans}

    def ancestors(span: Any) -> list[str]:
        names = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names

    operation = [s for s in spans if s.name.startswith("GraphQL Query")]
    assert len(operation) == 1 and operation[0].parent.span_id == http_span.context.span_id
    assert {"GraphQL Parsing", "GraphQL Validation"} <= {s.name for s in spans}
    resolvers = {s.name for s in spans if s.name.startswith("GraphQL Resolving")}
    assert {"GraphQL Resolving: users", "GraphQL Resolving: track"} <= resolvers
    database = [s for s in spans if _attrs(s).get("db.system") in ("sqlite", "postgresql")
                or _attrs(s).get("db.system.name") in ("sqlite", "postgresql")]
    assert database, [s.name for s in spans]
    assert any("GraphQL Resolving: users" in ancestors(s) for s in database)
    upstream = [s for s in spans if s.kind == SpanKind.CLIENT and ("url.full" in _attrs(s) or "http.url" in _attrs(s))]
    assert upstream, [s.name for s in spans]
    assert any("GraphQL Query" in " ".join(ancestors(s)) for s in upstream)
    for span in upstream:  # OAuth signatures travel in the query string: not in the span
        url = _attrs(span).get("url.full") or _attrs(span).get("http.url")
        assert "?" not in url and "oauth" not in url, url


async def test_refused_requests_and_rest_calls_are_traced_too(traced, tenant):
    http, exporter = traced
    await http.post("/graphql", content=b"[1]", headers={"content-type": "application/json"})
    await http.get("/api/users", headers=tenant.auth)
    names = [s.name for s in exporter.get_finished_spans()]
    assert any(n.startswith("GraphQL Query") for n in names)  # the refused batch ran the operation hook
    assert any(n.startswith("GET /api/users") for n in names)


async def test_no_secret_reaches_a_span(traced):
    http, exporter = traced
    secret = "r3fresh-s3cret-t0ken"
    await http.post("/graphql", json={"query": f'mutation {{ logout(refreshToken: "{secret}") }}'})
    await http.post("/graphql", json={"query": "mutation($t: String!) { logout(refreshToken: $t) }",
                                      "variables": {"t": secret}})
    await http.get("/graphql", params={"query": f'{{ heartbeat }} # {secret}'})
    await http.get("/api/users", params={"email": secret})
    spans = exporter.get_finished_spans()
    assert any(s.name == "GraphQL Resolving: logout" for s in spans)
    for span in spans:
        assert secret not in repr(_attrs(span)) and secret not in span.name, (span.name, _attrs(span))


async def test_tracing_is_off_and_free_when_unset(app, settings):
    assert settings.otel_exporter_otlp_endpoint is None
    assert app.state.tracing is None
    view = next(r.app for r in app.routes if getattr(r, "path", None) == "/graphql")
    assert view.schema.extensions == ()  # no extension: the pipeline makes no per-request hook objects
    assert not any("opentelemetry" in m.cls.__module__ for m in app.user_middleware)
    assert not hasattr(aiohttp.ClientSession.__init__, "__wrapped__")  # upstream calls untouched
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.tortoiseorm import TortoiseORMInstrumentor

    assert not TortoiseORMInstrumentor().is_instrumented_by_opentelemetry  # database calls untouched
    assert not AioHttpClientInstrumentor().is_instrumented_by_opentelemetry


async def test_resolver_spans_cover_awaited_resolvers_and_skip_attributes(traced, tenant, api):
    """The per-field hook is not a coroutine: an attribute gets no span and no await; a resolver that
    answers an awaitable (a cold relation) keeps its span open until it is awaited, the upstream call inside."""
    http, exporter = traced
    query = '{ track(id: "3") { title duration release { title artist { name } } artist { name } } }'
    r = await http.post("/graphql", json={"query": query}, headers=tenant.auth)
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert r.json() == await api.gql(query, token=tenant.token)  # the same answer untraced
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    assert "GraphQL Resolving: release" in names and "GraphQL Resolving: artist" in names
    assert not any(n in names for n in ("GraphQL Resolving: title", "GraphQL Resolving: duration"))
    release = next(s for s in spans if s.name == "GraphQL Resolving: release")
    inside = [s for s in spans if s.parent is not None and s.parent.span_id == release.context.span_id]
    assert inside and release.end_time >= max(s.end_time for s in inside)  # its batch call, within its span
