"""Billing: products and redirect settings (client token), checkout (user token), Stripe webhooks."""

from __future__ import annotations

from typing import Any

from yourmusic.context import Context
from yourmusic.errors import InvalidAuthToken, NotFound
from yourmusic.models import Product
from yourmusic.services import billing as svc


async def products(ctx: Context) -> list[Product]:
    client = await ctx.client()
    return await svc.list_products(client.tenant_id)


async def product(ctx: Context, slug_or_id: Any) -> Product:
    client = await ctx.client()
    return await svc.get_product(client.tenant_id, slug_or_id)


async def create_product(ctx: Context, data: Any) -> Product:
    client = await ctx.client()
    return await svc.create_product(client.tenant_id, data)


async def update_product(ctx: Context, slug_or_id: Any, data: Any) -> Product:
    client = await ctx.client()
    return await svc.update_product(client.tenant_id, slug_or_id, data)


async def delete_product(ctx: Context, slug_or_id: Any) -> None:
    client = await ctx.client()
    await svc.delete_product(client.tenant_id, slug_or_id)


async def billing_settings(ctx: Context) -> svc.RedirectSettings:
    client = await ctx.client()
    return await svc.get_settings(client.tenant_id)


async def set_billing_settings(ctx: Context, data: Any) -> svc.RedirectSettings:
    client = await ctx.client()
    return await svc.set_settings(client.tenant_id, data)


async def create_checkout_session(ctx: Context, data: Any) -> svc.CheckoutSession:
    me = await ctx.user()
    try:
        return await svc.create_checkout_session(ctx.container.stripe, me.tenant_id, me.user_id, data)
    except NotFound:  # the token names a user deleted since
        raise InvalidAuthToken() from None


async def stripe_webhook(ctx: Context, payload: bytes, signature: str | None) -> svc.WebhookOutcome:
    settings = ctx.container.settings
    return await svc.receive_webhook(ctx.container.stripe, settings.stripe_webhook_secret,
                                     settings.stripe_webhook_tolerance, payload, signature)
