"""The home page: optional authentication; guests name their tenant with `X-Tenant`."""

from __future__ import annotations

import uuid
from typing import Any

from yourmusic.context import Context
from yourmusic.errors import NotFound, ValidationFailed
from yourmusic.principals import UserPrincipal
from yourmusic.services import home as svc
from yourmusic.services.tenancy import get_tenant_by_slug
from yourmusic.validation import Submitted


async def _audience(ctx: Context) -> tuple[uuid.UUID, uuid.UUID | None]:
    """(tenant, user or None). A present but bad token is a 401 even when X-Tenant is also sent."""
    principal = await ctx.principal()
    if isinstance(principal, UserPrincipal):
        return principal.tenant_id, principal.user_id
    if principal is not None:  # a tenant backend looking at its own page, as a guest would see it
        return principal.tenant_id, None
    slug = ctx.request.headers.get("x-tenant")
    if not slug:
        raise ValidationFailed.field("X-Tenant", "The X-Tenant header is required for guests.")
    tenant = await get_tenant_by_slug(slug.strip())
    if tenant is None:
        raise NotFound("Tenant not found.")
    return tenant.id, None


async def home(ctx: Context) -> svc.HomeView:
    """The resolved page; a guest's is shared by every guest of the tenant for a short while."""
    tenant_id, user_id = await _audience(ctx)
    container = ctx.container
    bound = _loaders(ctx)

    async def build() -> svc.HomeView:
        return await svc.resolve(await svc.get_page(tenant_id), tenant_id, user_id, bound, container.catalog)

    if user_id is not None:
        return await build()

    async def build_json() -> dict[str, Any]:
        return (await build()).model_dump(mode="json")

    cached = await container.cache.fetch(svc.guest_cache_key(tenant_id), svc.GUEST_TTL, build_json)
    return svc.HomeView.model_validate(cached)


def _loaders(ctx: Context) -> svc.Loaders:
    loaders = ctx.loaders
    return svc.Loaders(track=loaders.track_by_id.load, release=loaders.release_by_id.load,
                       artist=loaders.artist_by_id.load)


async def set_home(ctx: Context, page: Submitted[svc.HomePageInput]) -> svc.HomeView:
    """Stores the tenant's page and answers it as guests see it, in one transaction (`svc.publish_page`)."""
    client = await ctx.client()
    tenant_id, bound = client.tenant_id, _loaders(ctx)

    async def render(stored: svc.HomePage) -> svc.HomeView:
        return await svc.resolve(stored, tenant_id, None, bound, ctx.container.catalog)

    return await svc.publish_page(tenant_id, page.value(), render, ctx.container.cache)
