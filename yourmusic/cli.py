"""`yourmusic serve | migrate | tenant create | client create | sandbox ...`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tortoise import Tortoise

from yourmusic.db import migrate, tortoise_config
from yourmusic.errors import AppError
from yourmusic.settings import get_settings

T = TypeVar("T")


async def _with_db(fn: Callable[[], Awaitable[T]]) -> T:
    settings = get_settings()
    await migrate(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await fn()
    finally:
        await Tortoise.close_connections()


async def seed_demo() -> dict[str, str] | None:
    """On the very first start (no tenant at all), create the demo tenant and one client."""
    from yourmusic.models import Tenant
    from yourmusic.services.home import DEMO_PAGE, set_page
    from yourmusic.services.tenancy import create_client, create_tenant

    if await Tenant.exists():
        return None
    settings = get_settings()
    tenant = await create_tenant(settings.demo_tenant_slug, "YourMusic Demo")
    issued = await create_client(tenant, "demo backend")
    await set_page(tenant.id, DEMO_PAGE)
    return {"tenant": tenant.slug, "client_id": issued.client.client_id, "client_secret": issued.secret}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    import os

    from yourmusic.security.tokens import load_key_set

    # The embedded sandboxes are mounted on this very server: tell the clients where that is.
    os.environ.setdefault("SELF_URL", f"http://127.0.0.1:{args.port}")
    get_settings.cache_clear()
    settings = get_settings()
    # Made here, before workers start, so they all read one key set instead of racing to create it.
    load_key_set(settings.signing_keys, settings.data_dir)
    seeded = asyncio.run(_with_db(seed_demo)) if settings.seed_demo else asyncio.run(_with_db(_noop))
    if seeded:
        print(
            "Created the demo tenant. Its client credentials are shown this once:\n"
            + json.dumps(seeded, indent=2),
            flush=True,
        )
    uvicorn.run(
        "yourmusic.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=False,
    )
    return 0


async def _noop() -> None:
    return None


def cmd_migrate(args: argparse.Namespace) -> int:
    asyncio.run(migrate(get_settings().database_url))
    print("migrations applied")
    return 0


def cmd_tenant_create(args: argparse.Namespace) -> int:
    from yourmusic.services.tenancy import create_tenant

    async def run() -> dict[str, Any]:
        tenant = await create_tenant(args.slug, args.name)
        return {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name}

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_client_create(args: argparse.Namespace) -> int:
    from yourmusic.services.tenancy import create_client, get_tenant_by_slug

    async def run() -> dict[str, str]:
        tenant = await get_tenant_by_slug(args.tenant)
        if tenant is None:
            raise AppError(f"No tenant with slug {args.tenant!r}.")
        issued = await create_client(tenant, args.name or "")
        return {"client_id": issued.client.client_id, "client_secret": issued.secret}

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_keys_generate(args: argparse.Namespace) -> int:
    from yourmusic.security.tokens import generate_key_set

    print(json.dumps(generate_key_set()))
    return 0


def cmd_sandbox_aggregator(args: argparse.Namespace) -> int:
    from yourmusic.integrations.aggregator.sandbox.server import run

    run(args.host, args.port, consumer_key=args.consumer_key, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yourmusic", description="YourMusic API server and tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations, seed the demo tenant once, and serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=cmd_migrate)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(dest="action", required=True)
    tenant_create = tenant.add_parser("create", help="create a tenant")
    tenant_create.add_argument("slug")
    tenant_create.add_argument("--name")
    tenant_create.set_defaults(func=cmd_tenant_create)

    client = sub.add_parser("client", help="manage OAuth2 clients").add_subparsers(dest="action", required=True)
    client_create = client.add_parser("create", help="create a client; prints its secret once")
    client_create.add_argument("--tenant", required=True)
    client_create.add_argument("--name")
    client_create.set_defaults(func=cmd_client_create)

    sandbox = sub.add_parser("sandbox", help="run a bundled sandbox upstream on its own")
    sandboxes = sandbox.add_subparsers(dest="which", required=True)
    aggregator = sandboxes.add_parser("aggregator", help="the 7digital-style catalog over the bundled catalog")
    aggregator.add_argument("--host", default="127.0.0.1")
    aggregator.add_argument("--port", type=int, default=8765)
    aggregator.add_argument("--consumer-key", default=None, help="require this oauth_consumer_key")
    aggregator.set_defaults(func=cmd_sandbox_aggregator)

    keys = sub.add_parser("keys", help="token signing keys").add_subparsers(dest="action", required=True)
    keys.add_parser("generate", help="print a new Ed25519 JWKS for SIGNING_KEYS").set_defaults(func=cmd_keys_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
