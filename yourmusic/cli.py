"""`yourmusic serve | migrate | tenant create | client create | sandbox ...`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from tortoise import Tortoise

from yourmusic.db import migrate, sqlite_file, tortoise_config
from yourmusic.errors import AppError, ValidationFailed
from yourmusic.settings import ConfigurationError, get_settings

T = TypeVar("T")


class CliError(Exception):
    """A problem with how the command was run, printed as `error: ...` (exit code 2)."""


def require_database(database_url: str) -> None:
    """CliError when DATABASE_URL is a SQLite file that does not exist under a relative path (the default
    `var/yourmusic.sqlite3`): run from another directory, the command would otherwise create an empty
    database there and act on it. A missing file named by an absolute path is created, and said so."""
    path = sqlite_file(database_url)
    if path is None or path.exists():
        return
    if path.is_absolute():
        print(f"Creating a new database at {path}", file=sys.stderr)
        return
    raise CliError(
        f"no database at {path.resolve()} (DATABASE_URL={database_url}, relative to {Path.cwd()}). Run "
        "this command in the directory where `yourmusic serve` runs, or set DATABASE_URL (and DATA_DIR) "
        "to that server's; `yourmusic migrate` creates a new database on purpose."
    )


async def _with_db(fn: Callable[[], Awaitable[T]], *, create: bool = False) -> T:
    """Run `fn` with the ORM on the configured database, migrated first. `create`: a new SQLite database
    may be made anywhere (serve); otherwise `require_database` decides."""
    settings = get_settings()
    if not create:
        require_database(settings.database_url)
    await migrate(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await fn()
    finally:
        await Tortoise.close_connections()


async def seed_demo() -> dict[str, str] | None:
    """On the very first start (no tenant at all), create the demo tenant and one client."""
    from yourmusic.models import Tenant
    from yourmusic.services.home import DEMO_PAGE, HomePageInput, set_page
    from yourmusic.services.tenancy import create_client, create_tenant

    if await Tenant.exists():
        return None
    settings = get_settings()
    tenant = await create_tenant(settings.demo_tenant_slug, "YourMusic Demo")
    issued = await create_client(tenant, "demo backend")
    await set_page(tenant.id, HomePageInput.model_validate(DEMO_PAGE))
    await seed_demo_billing(tenant.id)
    return {"tenant": tenant.slug, "client_id": issued.client.client_id, "client_secret": issued.secret}


async def seed_demo_billing(tenant_id: Any) -> None:
    """With the embedded Stripe sandbox: one product and redirects to the sandbox's return page, so a
    demo user can subscribe from a browser."""
    from yourmusic.container import SANDBOX, SANDBOX_STRIPE_PATH
    from yourmusic.services.billing import BillingSettingsInput, ProductCreate, create_product, set_settings

    settings = get_settings()
    if settings.stripe_api_base != SANDBOX:
        return
    back = settings.self_url.rstrip("/") + SANDBOX_STRIPE_PATH + "/return"
    await create_product(tenant_id, ProductCreate(slug="premium", name="Premium", stripe_price_id="price_demo_premium"))
    await set_settings(tenant_id, BillingSettingsInput(redirect_patterns=[back + "/*"], success_url=back + "/success",
                                                       cancel_url=back + "/cancel"))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    import os

    from yourmusic.observability.logging import uvicorn_log_config
    from yourmusic.observability.metrics_env import MULTIPROC_ENV, prepare_multiprocess_dir
    from yourmusic.security.tokens import load_key_set

    # The embedded sandboxes are mounted on this very server: tell the clients where that is.
    os.environ.setdefault("SELF_URL", f"http://127.0.0.1:{args.port}")
    get_settings.cache_clear()
    settings = get_settings()
    settings.check_profile()  # before anything is migrated, seeded or served
    # Made here, before workers start, so they all read one key set instead of racing to create it.
    load_key_set(settings.signing_keys, settings.data_dir)
    db_file = sqlite_file(settings.database_url)
    if db_file is not None and not db_file.exists():
        print(f"Creating a new database at {db_file.resolve()}", flush=True)
    seeded = asyncio.run(_with_db(seed_demo if settings.seed_demo else _noop, create=True))
    if seeded:
        print(
            "Created the demo tenant. Its client credentials are shown this once:\n"
            + json.dumps(seeded, indent=2),
            flush=True,
        )
    # Several workers: Prometheus multiprocess mode, so /metrics on any worker shows the whole instance.
    # Set before the workers import prometheus_client; wiped here (samples of a previous run are stale).
    if args.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = str((settings.data_dir / "metrics").resolve())
    if os.environ.get(MULTIPROC_ENV):
        prepare_multiprocess_dir(os.environ[MULTIPROC_ENV])
    from yourmusic.landing import startup_lines

    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    print("\n".join(startup_lines(settings, f"http://{'[' + shown + ']' if ':' in shown else shown}:{args.port}")),
          flush=True)
    uvicorn.run(
        "yourmusic.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        log_config=uvicorn_log_config(settings.log_format, settings.log_level),
        access_log=False,  # the app writes its own access line (request id, tenant, principal, duration)
        timeout_graceful_shutdown=settings.shutdown_timeout,  # in-flight requests finish on SIGTERM
        proxy_headers=False,
        # A WebSocket message is held whole before the app sees it: bound it like an HTTP body (uvicorn's
        # default is 16 MiB); the app checks again (schema/websocket.py) under any other server.
        ws_max_size=settings.max_body_bytes if settings.max_body_bytes > 0 else 16 * 1024 * 1024,
    )
    return 0


async def _noop() -> None:
    return None


def cmd_migrate(args: argparse.Namespace) -> int:
    url = get_settings().database_url
    db_file = sqlite_file(url)
    asyncio.run(migrate(url))
    print(f"migrations applied to {db_file.resolve()}" if db_file is not None else "migrations applied")
    return 0


def cmd_tenant_create(args: argparse.Namespace) -> int:
    from yourmusic.services.tenancy import create_tenant

    async def run() -> dict[str, Any]:
        tenant = await create_tenant(args.slug, args.name)
        return {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name}

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_client_create(args: argparse.Namespace) -> int:
    from yourmusic.services.tenancy import create_client

    async def run() -> dict[str, str]:
        tenant = await _tenant(args.tenant)
        issued = await create_client(tenant, args.name or "")
        return {"client_id": issued.client.client_id, "client_secret": issued.secret}

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


async def _tenant(slug: str) -> Any:
    """The tenant with this slug; AppError naming it when there is none."""
    from yourmusic.services.tenancy import get_tenant_by_slug

    tenant = await get_tenant_by_slug(slug)
    if tenant is None:
        raise AppError(f"No tenant with slug {slug!r}.")
    return tenant


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _revocations() -> tuple[Any, Any]:
    """The revocation checks on the shared cache (Redis when REDIS_URL is set, as running servers use)."""
    from yourmusic.cache import build_cache
    from yourmusic.services.revocation import RevocationChecks

    settings = get_settings()
    backend = build_cache(settings.redis_url, settings.cache_namespace)
    return RevocationChecks(backend, settings.session_revocation_cache_ttl), backend


def _revocation_note() -> str:
    settings = get_settings()
    if settings.redis_url:
        return "running servers refuse its tokens from their next request (told through Redis)"
    return (f"running servers refuse its tokens within {settings.session_revocation_cache_ttl} s "
            "(SESSION_REVOCATION_CACHE_TTL; no REDIS_URL, so they cannot be told at once)")


def cmd_tenant_list(args: argparse.Namespace) -> int:
    from yourmusic.services.tenancy import list_tenants

    async def run() -> list[dict[str, Any]]:
        return [{"id": str(t.id), "slug": t.slug, "name": t.name, "created_at": _when(t.created_at),
                 "revoked_at": _when(t.revoked_at)} for t in await list_tenants()]

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def _revoke(label: str, action: Callable[[Any], Awaitable[dict[str, Any]]]) -> int:
    """Run `action(checks)` (a revocation) with the shared cache open; print its JSON, and on stderr when
    running servers will refuse the tokens."""
    async def run() -> dict[str, Any]:
        checks, backend = _revocations()
        try:
            return await action(checks)
        finally:
            await backend.close()

    print(json.dumps(asyncio.run(_with_db(run))))
    print(f"revoked {label}: {_revocation_note()}", file=sys.stderr)
    return 0


def cmd_tenant_revoke(args: argparse.Namespace) -> int:
    async def revoke(checks: Any) -> dict[str, Any]:
        tenant = await checks.revoke_tenant(await _tenant(args.slug))
        return {"slug": tenant.slug, "revoked_at": _when(tenant.revoked_at)}

    return _revoke(f"tenant {args.slug}", revoke)


def cmd_client_list(args: argparse.Namespace) -> int:
    from yourmusic.services.tenancy import list_clients

    async def run() -> list[dict[str, Any]]:
        return [{"client_id": c.client_id, "name": c.name, "created_at": _when(c.created_at),
                 "revoked_at": _when(c.revoked_at)} for c in await list_clients(await _tenant(args.tenant))]

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_client_revoke(args: argparse.Namespace) -> int:
    async def revoke(checks: Any) -> dict[str, Any]:
        client = await checks.revoke_client(args.client_id)
        return {"client_id": client.client_id, "revoked_at": _when(client.revoked_at)}

    return _revoke(f"client {args.client_id}", revoke)


def _product_json(tenant: Any, product: Any) -> dict[str, Any]:
    return {"id": str(product.id), "tenant": tenant.slug, "slug": product.slug, "name": product.name,
            "stripe_price_id": product.stripe_price_id, "active": product.active}


def cmd_product_list(args: argparse.Namespace) -> int:
    from yourmusic.services.billing import list_products

    async def run() -> list[dict[str, Any]]:
        tenant = await _tenant(args.tenant)
        return [_product_json(tenant, p) for p in await list_products(tenant.id)]

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_product_revoke(args: argparse.Namespace) -> int:
    """Deactivate a product: no new checkout for it; existing subscriptions run on (Stripe owns them)."""
    from yourmusic.services.billing import ProductUpdate, get_product, product_key, update_product

    async def run() -> dict[str, Any]:
        tenant = await _tenant(args.tenant)
        product = await get_product(tenant.id, product_key(args.slug))
        return _product_json(tenant, await update_product(product, ProductUpdate(active=False)))

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_user_token(args: argparse.Namespace) -> int:
    """Print a fresh UDT for a user (GraphiQL and the REST console need one every UDT_TTL seconds)."""
    from yourmusic.models import User
    from yourmusic.security.tokens import TokenService, load_key_set, signing_keys_file
    from yourmusic.services.client_auth import DeviceRef, mint_user_delegation_token
    from yourmusic.services.users import email_key
    from yourmusic.validation import Submitted

    settings = get_settings()
    if not settings.signing_keys and not signing_keys_file(settings.data_dir).exists():
        raise CliError(f"no signing keys at {signing_keys_file(settings.data_dir).resolve()}: a token signed with "
                       "new keys would not work on the server. Run this where `yourmusic serve` runs, or set "
                       "SIGNING_KEYS (or DATA_DIR) to the server's.")
    tokens = TokenService(load_key_set(settings.signing_keys, settings.data_dir), settings.token_issuer,
                          settings.token_audience)

    async def run() -> dict[str, Any]:
        tenant = await _tenant(args.tenant)
        if args.user is not None:
            try:
                user_id = uuid.UUID(args.user)
            except ValueError:
                raise CliError("--user must be a user id (a UUID); or give --email") from None
        else:
            found = await User.filter(tenant_id=tenant.id, email_key=email_key(args.email)).first()
            if found is None:
                raise AppError(f"No user with email {args.email!r} in tenant {tenant.slug!r}.")
            user_id = found.id
        device = Submitted(DeviceRef, {"device_id": args.device or str(uuid.uuid4())})
        issued = await mint_user_delegation_token(tokens, settings.udt_ttl, tenant.id, user_id, device)
        return {"token": issued.token, "token_type": issued.token_type, "expires_in": issued.expires_in,
                "user_id": str(user_id), "tenant": tenant.slug, "device_id": str(device.value().device_id)}

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_product_create(args: argparse.Namespace) -> int:
    from yourmusic.services.billing import ProductCreate, create_product
    from yourmusic.validation import parse

    async def run() -> dict[str, Any]:
        tenant = await _tenant(args.tenant)
        new = parse(ProductCreate, {"slug": args.slug, "name": args.name, "stripe_price_id": args.price,
                                    "active": not args.inactive})
        return _product_json(tenant, await create_product(tenant.id, new))

    print(json.dumps(asyncio.run(_with_db(run))))
    return 0


def cmd_cors_origins(args: argparse.Namespace) -> int:
    """`cors list|set --tenant SLUG [ORIGIN ...]`: a tenant's CORS origins (what `PUT /api/cors/origins` does)."""
    from yourmusic.cache import CacheStore, build_cache
    from yourmusic.services.cors import replace_tenant_origins, tenant_origins
    from yourmusic.services.origin_directory import OriginDirectory

    async def run() -> dict[str, Any]:
        tenant = await _tenant(args.tenant)
        if args.action == "list":
            return {"tenant": tenant.slug, "origins": await tenant_origins(tenant.id)}
        settings = get_settings()  # the shared cache (Redis) is told, so running servers see it within seconds
        cache = CacheStore(build_cache(settings.redis_url, settings.cache_namespace), settings.cache_stale_for)
        try:
            origins = await replace_tenant_origins(tenant.id, args.origins, OriginDirectory(cache))
        finally:
            await cache.close()
        return {"tenant": tenant.slug, "origins": origins}

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


def cmd_sandbox_stripe(args: argparse.Namespace) -> int:
    import uvicorn

    from yourmusic.integrations.stripe.sandbox import create_app as stripe_sandbox_app

    settings = get_settings()
    app = stripe_sandbox_app(webhook_url=args.webhook_url, webhook_secret=settings.stripe_webhook_secret)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def cmd_sandbox_streaming(args: argparse.Namespace) -> int:
    from yourmusic.integrations.streaming.sandbox.server import run

    run(args.host, args.port, api_key=args.api_key, signing_secret=args.signing_secret, log_level="info",
        cors_origins=tuple(o.strip() for o in args.cors_origins.split(",") if o.strip()))
    return 0


def cmd_schema_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from yourmusic.contracts import REFRESH_COMMAND, export

    stale = export(Path(args.dir), check=args.check)
    if args.check:
        if stale:
            print(f"stale: {', '.join(stale)}; refresh with: {REFRESH_COMMAND}", file=sys.stderr)
            return 1
        print("schema.graphql and openapi.json are up to date")
        return 0
    print(f"wrote {', '.join(stale)}" if stale else "schema.graphql and openapi.json were up to date")
    return 0


def flag_errors(errors: dict[str, list[str]], flags: dict[str, tuple[str, str | None]]) -> list[str]:
    """A service's 422 errors in the command's words: each field under the flag that set it, with the form
    that flag expects when one is known (`--price must look like price_...: The ... field is invalid.`)."""
    lines = []
    for field_name, messages in errors.items():
        flag, form = flags.get(field_name, (field_name, None))
        text = " ".join(messages)
        lines.append(f"{flag} must look like {form}: {text}" if form else f"{flag}: {text}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yourmusic", description="YourMusic API server and tools. Settings come from the environment "
        "(DATABASE_URL, REDIS_URL, ...; see the README); management commands act on the database of "
        "DATABASE_URL, by default var/yourmusic.sqlite3 in the current directory.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="apply migrations, seed the demo tenant once, and serve HTTP",
        description="Apply pending migrations, create the demo tenant on the very first start (SEED_DEMO), "
        "print the developer pages' URLs and serve HTTP until stopped (SIGTERM lets requests finish).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (SELF_URL follows it unless set)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (more than 1: share the cache and limits through REDIS_URL)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=cmd_migrate)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(dest="action", required=True)
    tenant_create = tenant.add_parser("create", help="create a tenant")
    tenant_create.add_argument("slug")
    tenant_create.add_argument("--name")
    tenant_create.set_defaults(func=cmd_tenant_create, flags={"slug": ("SLUG", None)})
    tenant.add_parser("list", help="print every tenant as JSON (revoked ones with revoked_at)"
                      ).set_defaults(func=cmd_tenant_list)
    tenant_revoke = tenant.add_parser("revoke", help="revoke a tenant: its clients get no token and every "
                                      "token of the tenant (client and user) stops working")
    tenant_revoke.add_argument("slug")
    tenant_revoke.set_defaults(func=cmd_tenant_revoke)

    client = sub.add_parser("client", help="manage OAuth2 clients").add_subparsers(dest="action", required=True)
    client_create = client.add_parser("create", help="create a client; prints its secret once")
    client_create.add_argument("--tenant", required=True)
    client_create.add_argument("--name")
    client_create.set_defaults(func=cmd_client_create)
    client_list = client.add_parser("list", help="print a tenant's clients as JSON (never their secrets)")
    client_list.add_argument("--tenant", required=True)
    client_list.set_defaults(func=cmd_client_list)
    client_revoke = client.add_parser("revoke", help="revoke a client: no new token, and its tokens stop working")
    client_revoke.add_argument("client_id", metavar="CLIENT_ID", help="the client's id (ym_...)")
    client_revoke.set_defaults(func=cmd_client_revoke)

    product = sub.add_parser("product", help="manage subscription products").add_subparsers(dest="action", required=True)
    product_create = product.add_parser("create", help="create a product of a tenant (prints it as JSON)")
    product_create.add_argument("--tenant", required=True)
    product_create.add_argument("--name", required=True)
    product_create.add_argument("--slug", required=True, help="lowercase letters, digits and dashes")
    product_create.add_argument("--price", required=True, help="the Stripe price id (price_...)")
    product_create.add_argument("--inactive", action="store_true", help="create it inactive")
    product_create.set_defaults(func=cmd_product_create, flags={
        "slug": ("--slug", None), "name": ("--name", None), "stripe_price_id": ("--price", "price_...")})
    product_list = product.add_parser("list", help="print a tenant's products as JSON")
    product_list.add_argument("--tenant", required=True)
    product_list.set_defaults(func=cmd_product_list)
    product_revoke = product.add_parser("revoke", help="deactivate a product: no new checkout for it "
                                        "(running subscriptions go on)")
    product_revoke.add_argument("--tenant", required=True)
    product_revoke.add_argument("--slug", required=True, help="the product's slug (or id)")
    product_revoke.set_defaults(func=cmd_product_revoke)

    user = sub.add_parser("user", help="a tenant's users").add_subparsers(dest="action", required=True)
    user_token = user.add_parser(
        "token", help="print a fresh user token (UDT) for GraphiQL or the REST console",
        description="Print a UDT (valid UDT_TTL seconds, 600 by default) for one user, signed with the server's "
        "keys (SIGNING_KEYS or DATA_DIR/signing-keys.json): paste it into GraphiQL's Headers tab or the "
        "console's Authorize dialog.", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    user_token.add_argument("--tenant", required=True, help="the tenant's slug")
    who = user_token.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the user's email")
    who.add_argument("--user", help="the user's id (a UUID)")
    user_token.add_argument("--device", default=None, help="the device id (a UUID) the token is for; default: a new one")
    user_token.set_defaults(func=cmd_user_token, flags={"device_id": ("--device", "a UUID")})

    cors = sub.add_parser("cors", help="a tenant's CORS origins").add_subparsers(dest="action", required=True)
    cors_list = cors.add_parser("list", help="print the tenant's origins as JSON")
    cors_list.add_argument("--tenant", required=True)
    cors_list.set_defaults(func=cmd_cors_origins)
    cors_set = cors.add_parser("set", help="replace the tenant's origins (none given: remove them all)")
    cors_set.add_argument("--tenant", required=True)
    cors_set.add_argument("origins", nargs="*", metavar="ORIGIN", help="scheme://host[:port], e.g. https://app.example")
    cors_set.set_defaults(func=cmd_cors_origins)

    sandbox = sub.add_parser("sandbox", help="run a bundled sandbox upstream on its own")
    sandboxes = sandbox.add_subparsers(dest="which", required=True)
    aggregator = sandboxes.add_parser("aggregator", help="the 7digital-style catalog over the bundled catalog")
    aggregator.add_argument("--host", default="127.0.0.1")
    aggregator.add_argument("--port", type=int, default=8765)
    aggregator.add_argument("--consumer-key", default=None, help="require this oauth_consumer_key")
    aggregator.set_defaults(func=cmd_sandbox_aggregator)
    from yourmusic.integrations.streaming.sandbox.app import DEFAULT_SIGNING_SECRET

    streaming = sandboxes.add_parser("streaming", help="the HLS streaming server over the bundled catalog")
    streaming.add_argument("--host", default="127.0.0.1")
    streaming.add_argument("--port", type=int, default=8766)
    streaming.add_argument("--api-key", default=None, help="require this X-Api-Key (default: any)")
    streaming.add_argument("--signing-secret", default=DEFAULT_SIGNING_SECRET,
                           help="the secret segment URLs are signed with (STREAMING_SIGNING_SECRET)")
    streaming.add_argument("--cors-origins", default="*",
                           help="comma-separated origins whose players may fetch segments (default *: any)")
    streaming.set_defaults(func=cmd_sandbox_streaming)
    stripe_sandbox = sandboxes.add_parser("stripe", help="the Stripe look-alike (one process: its state is in memory)")
    stripe_sandbox.add_argument("--host", default="127.0.0.1")
    stripe_sandbox.add_argument("--port", type=int, default=12111)
    stripe_sandbox.add_argument("--webhook-url", required=True, help="where to post signed events "
                                "(signed with STRIPE_WEBHOOK_SECRET), e.g. http://127.0.0.1:8000/api/webhooks/stripe")
    stripe_sandbox.set_defaults(func=cmd_sandbox_stripe)

    schema = sub.add_parser("schema", help="the committed contracts").add_subparsers(dest="action", required=True)
    schema_export = schema.add_parser("export", help="write schema.graphql (SDL) and openapi.json")
    schema_export.add_argument("--dir", default=".", help="where to write them (default: the current directory)")
    schema_export.add_argument("--check", action="store_true", help="only compare; exit 1 when a file is stale")
    schema_export.set_defaults(func=cmd_schema_export)

    keys = sub.add_parser("keys", help="token signing keys").add_subparsers(dest="action", required=True)
    keys.add_parser("generate", help="print a new Ed25519 JWKS for SIGNING_KEYS").set_defaults(func=cmd_keys_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    from yourmusic.observability.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    # Tortoise logs "Tortoise-ORM shutdown" at INFO each time connections close: noise on a command's stderr.
    logging.getLogger("tortoise").setLevel(max(logging.WARNING, logging.getLogger().level))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationFailed as exc:
        for line in flag_errors(exc.errors, getattr(args, "flags", {})):
            print(f"error: {line}", file=sys.stderr)
        return 2
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except (CliError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
