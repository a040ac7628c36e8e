"""Shared fixtures: one app per test session on SQLite or PostgreSQL (TEST_DATABASE=sqlite|postgres).

The app runs its real lifespan (Tortoise via RegisterTortoise) on the session's event loop and is
reached over HTTP through httpx's ASGI transport, as a client would. Each test makes its own tenants,
so tests never see each other's rows and need no truncation.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from tests.api import Api, Passwordless, TenantHandle
from tests.mailbox import Mailbox, free_port
from tests.servers import ThreadedServer, start_server
from tests.upstreams import SandboxHandle
from tests.stripe_helpers import STRIPE_KEY, STRIPE_SECRET, StripeSandbox, start_stripe_sandbox
from yourmusic.integrations.aggregator.sandbox import create_app as create_sandbox
from yourmusic.integrations.streaming.sandbox import create_app as create_streaming_sandbox
from yourmusic.app import create_app
from yourmusic.container import Container
from yourmusic.db import migrate
from yourmusic.security.tokens import generate_key_set
from yourmusic.settings import Settings

warnings.filterwarnings("ignore", category=DeprecationWarning, module="aiocache")

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def pytest_report_header(config: pytest.Config) -> str:
    return f"yourmusic test database: {BACKEND}"


@pytest_asyncio.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    if BACKEND != "postgres":
        raise RuntimeError(f"TEST_DATABASE must be sqlite or postgres, not {BACKEND!r}")
    name = f"yourmusic_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


AGGREGATOR_KEY = "test-consumer-key"


@pytest.fixture(scope="session")
def aggregator_server() -> Iterator[ThreadedServer]:
    """The sandbox aggregator on a real port: the app reaches it through its production client."""
    server = start_server(create_sandbox(consumer_key=AGGREGATOR_KEY))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_sandbox() -> Iterator[StripeSandbox]:
    """The Stripe sandbox on a real port (the app calls it with the SDK); its webhooks go to a receiver."""
    sandbox = start_stripe_sandbox()
    yield sandbox
    sandbox.stop()


STREAMING_KEY = "test-streaming-key"
STREAMING_SECRET = "test-streaming-signing-secret"


@pytest.fixture(scope="session")
def streaming_server() -> Iterator[ThreadedServer]:
    """The sandbox streaming server on a real port (segment URLs in manifests point at it)."""
    server = start_server(create_streaming_sandbox(api_key=STREAMING_KEY, signing_secret=STREAMING_SECRET))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory,
             aggregator_server: ThreadedServer, stripe_sandbox: StripeSandbox,
             streaming_server: ThreadedServer) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        signing_keys=json.dumps(generate_key_set()),
        seed_demo=False,
        aggregator_url=f"{aggregator_server.url}/1.2",
        aggregator_key=AGGREGATOR_KEY,
        aggregator_timeout=1.0,
        aggregator_connect_timeout=0.5,
        aggregator_breaker_failures=3,
        aggregator_breaker_reset=0.5,
        aggregator_status_ttl=0.2,
        streaming_url=streaming_server.url,
        streaming_key=STREAMING_KEY,
        streaming_signing_secret=STREAMING_SECRET,
        streaming_timeout=1.0,
        streaming_connect_timeout=0.5,
        streaming_breaker_failures=3,
        streaming_breaker_reset=0.5,
        plays_forward=False,  # tests forward explicitly (container.plays.forward_due); test_streaming runs the loop
        stripe_api_base=stripe_sandbox.url,
        stripe_api_key=STRIPE_KEY,
        stripe_webhook_secret=STRIPE_SECRET,
        stripe_timeout=5.0,
        stripe_max_network_retries=0,
        trusted_proxies="192.0.2.0/24",  # X-Forwarded-For believed from these peers only (test_passwordless_limits)
    )


@pytest_asyncio.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    await migrate(settings.database_url)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="session")
async def http(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest_asyncio.fixture
async def app_with(app: Any, settings: Settings) -> AsyncIterator[Any]:
    """`http = app_with(**setting_overrides)`: a client of an app built with other settings, sharing the
    session app's container (database, cache) so no second lifespan is needed. `create={...}` passes
    keyword arguments to create_app (schema_extensions, span_exporter); `container=` another container."""
    clients: list[httpx.AsyncClient] = []

    def make(*, create: dict[str, Any] | None = None, container: Any = None, **overrides: Any) -> httpx.AsyncClient:
        application = create_app(settings.model_copy(update=overrides), **(create or {}))
        application.state.container = container or app.state.container
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")
        client.app = application  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def api(http: httpx.AsyncClient) -> Api:
    return Api(http)


@pytest_asyncio.fixture
async def tenant(api: Api) -> TenantHandle:
    return await api.new_tenant()


@pytest_asyncio.fixture
async def other_tenant(api: Api) -> TenantHandle:
    return await api.new_tenant()


# --------------------------------------------------------------------------- passwordless sign-in


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a free local port, for the whole session."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.url = f"smtp://127.0.0.1:{port}?timeout=5"
    yield box
    box.release()
    controller.stop()


@pytest_asyncio.fixture
async def use_container(app: object, settings: Settings, mailbox: Mailbox) -> AsyncIterator[Any]:
    """`container = use_container(**setting_overrides)`: the app runs on a container of its own for
    this test (SMTP to `mailbox`, fresh in-process cache, so rate limits never leak between tests);
    the session's container is back afterwards."""
    original = app.state.container  # type: ignore[attr-defined]
    made: list[Container] = []

    def use(**overrides: Any) -> Container:
        container = Container.build(settings.model_copy(update={"smtp_url": mailbox.url, **overrides}))
        made.append(container)
        app.state.container = container  # type: ignore[attr-defined]
        return container

    yield use
    app.state.container = original  # type: ignore[attr-defined]
    for container in made:
        await container.close()


@pytest_asyncio.fixture
async def client_at(app: object) -> AsyncIterator[Any]:
    """`http = client_at("203.0.113.7")`: an HTTP client whose TCP peer address is that IP."""
    clients: list[httpx.AsyncClient] = []

    def make(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))  # type: ignore[arg-type]
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest_asyncio.fixture
async def signin(api: Api, use_container: Any, mailbox: Mailbox) -> Passwordless:
    """The passwordless flow over REST against a container that mails through `mailbox`."""
    return Passwordless(api.http, use_container(), mailbox)


@pytest_asyncio.fixture
async def upstream(aggregator_server: ThreadedServer, app: Any) -> AsyncIterator[SandboxHandle]:
    """The sandbox aggregator, reset (cold) before and after the test."""
    container = app.state.container
    handle = SandboxHandle(aggregator_server, container.aggregator.breaker, container)
    await handle.reset()
    yield handle
    await handle.reset()


@pytest_asyncio.fixture
async def streams(streaming_server: ThreadedServer, app: Any) -> AsyncIterator[SandboxHandle]:
    """The sandbox streaming server, reset (cold) before and after the test."""
    container = app.state.container
    handle = SandboxHandle(streaming_server, container.streaming.client.breaker, container)
    await handle.reset()
    yield handle
    await handle.reset()
