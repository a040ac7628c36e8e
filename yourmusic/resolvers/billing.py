"""Billing: products and redirect settings (client token), checkout (user token), Stripe webhooks."""

from __future__ import annotations

from yourmusic.context import Context
from yourmusic.errors import InvalidAuthToken, NotFound
from yourmusic.models import Product
from yourmusic.services import billing as svc
from yourmusic.validation import Submitted


async def products(ctx: Context) -> list[Product]:
    client = await ctx.client()
    return await svc.list_products(client.tenant_id)


async def product(ctx: Context, key: svc.ProductKey) -> Product:
    client = await ctx.client()
    return await svc.get_product(client.tenant_id, key)


async def create_product(ctx: Context, new: Submitted[svc.ProductCreate]) -> Product:
    client = await ctx.client()
    return await svc.create_product(client.tenant_id, new.value())


async def update_product(ctx: Context, key: svc.ProductKey, update: Submitted[svc.ProductUpdate]) -> Product:
    client = await ctx.client()
    found = await svc.get_product(client.tenant_id, key)  # 404 before 422: the body reveals nothing
    return await svc.update_product(found, update.value())


async def delete_product(ctx: Context, key: svc.ProductKey) -> None:
    client = await ctx.client()
    await svc.delete_product(client.tenant_id, key)


async def billing_settings(ctx: Context) -> svc.RedirectSettings:
    client = await ctx.client()
    return await svc.get_settings(client.tenant_id)


async def set_billing_settings(ctx: Context, settings: Submitted[svc.BillingSettingsInput]) -> svc.RedirectSettings:
    client = await ctx.client()
    return await svc.set_settings(client.tenant_id, settings.value())


async def create_checkout_session(ctx: Context, checkout: Submitted[svc.CheckoutInput]) -> svc.CheckoutSession:
    me = await ctx.user()
    try:
        return await svc.create_checkout_session(ctx.container.stripe, me.tenant_id, me.user_id, checkout.value())
    except NotFound:  # the token names a user deleted since
        raise InvalidAuthToken() from None


async def stripe_webhook(ctx: Context, payload: bytes, signature: str | None) -> svc.WebhookOutcome:
    """The raw body and its `Stripe-Signature` header (the signature covers the bytes exactly)."""
    settings = ctx.container.settings
    return await svc.receive_webhook(ctx.container.stripe, settings.stripe_webhook_secret,
                                     settings.stripe_webhook_tolerance, payload, signature)
