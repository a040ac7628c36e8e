"""Tenants and their OAuth2 clients."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from yourmusic.errors import Conflict, ValidationFailed
from yourmusic.models import ApiClient, Tenant
from yourmusic.security.secrets import digest, matches, new_secret
from yourmusic.services.scoping import parse_client_id, parse_slug

# Compared against when the client id is unknown, so a miss costs what a hit costs.
_DUMMY_DIGEST = digest("no-such-client")


@dataclass(frozen=True)
class IssuedClient:
    client: ApiClient
    secret: str  # shown once, never stored


async def create_tenant(slug: str, name: str | None = None) -> Tenant:
    if parse_slug(slug) is None:  # the one slug rule (a trailing newline passed re's `$`)
        raise ValidationFailed.field("slug", "The slug may only contain lowercase letters, digits and dashes.")
    try:
        return await Tenant.create(slug=slug, name=name or slug)
    except IntegrityError:
        raise Conflict(f"Tenant {slug!r} already exists.") from None


async def get_tenant_by_slug(slug: str) -> Tenant | None:
    key = parse_slug(slug)
    return None if key is None else await Tenant.get_or_none(slug=key)


async def create_client(tenant: Tenant, name: str = "") -> IssuedClient:
    secret = new_secret(32)
    client = await ApiClient.create(
        tenant=tenant, client_id="ym_" + new_secret(12), secret_hash=digest(secret), name=name
    )
    return IssuedClient(client=client, secret=secret)


async def authenticate_client(client_id: str, secret: str) -> ApiClient | None:
    """The active client (of a tenant not revoked) these credentials belong to, or None; timing does not
    tell which part was wrong."""
    cid = parse_client_id(client_id)
    client = (await ApiClient.get_or_none(client_id=cid, revoked_at=None, tenant__revoked_at=None)
              if cid is not None else None)
    ok = matches(secret, client.secret_hash if client else _DUMMY_DIGEST)
    return client if client is not None and ok else None


async def list_tenants() -> list[Tenant]:
    """Every tenant, oldest first (revoked ones too: `revoked_at` set)."""
    return await Tenant.all().order_by("created_at", "id")


async def list_clients(tenant: Tenant) -> list[ApiClient]:
    """The tenant's clients, oldest first (revoked ones too); secrets are never stored, so never listed."""
    return await ApiClient.filter(tenant_id=tenant.id).order_by("created_at", "id")
