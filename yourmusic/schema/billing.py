"""Billing in GraphQL: products and redirect settings (client token), checkout (user token)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from yourmusic import models
from yourmusic.resolvers import billing as resolvers
from yourmusic.schema.info import Info, submitted
from yourmusic.services import billing as svc
from yourmusic.validation import Submitted

D = strawberry.field
A = strawberry.argument
CLIENT_ERRORS = "UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (not a client token)"
ProductKey = Annotated[strawberry.ID, A(description="The product's id (UUID) or slug.")]
_SLUG = "Unique in the tenant: lowercase letters, digits and `-`, 1..64 characters, no `-` at either end."
_PRICE = "The Stripe price id it sells (`price_...`, at most 255 characters)."
_URL = ("An absolute http(s) URL (at most 2048 characters) that matches one of the tenant's redirect patterns")


@strawberry.type(description="A subscription product a tenant sells through Stripe Checkout.")
class Product:
    id: strawberry.ID = D(description="The product's id (UUID).")
    slug: str = D(description="The product's slug, unique in the tenant; checkout names products by it.")
    name: str = D(description="Display name (1..255 characters).")
    stripe_price_id: str = D(description="The Stripe price id it sells (`price_...`).")
    active: bool = D(description="Only active products can be checked out.")
    created_at: datetime = D(description="When it was created (UTC).")
    updated_at: datetime = D(description="When it last changed (UTC).")

    @classmethod
    def of(cls, p: models.Product | svc.ProductValue) -> Product:
        """From a product row or value (the same attributes)."""
        return cls(id=strawberry.ID(str(p.id)), slug=p.slug, name=p.name, stripe_price_id=p.stripe_price_id,
                   active=p.active, created_at=p.created_at, updated_at=p.updated_at)


@strawberry.type(description="Where checkout may send a user back: allowed URL patterns and the default URLs.")
class BillingSettings:
    redirect_patterns: list[str] = D(description="Absolute http(s) URLs; scheme, host and port match exactly, the "
                                                 "path is a prefix or, with `*`, a wildcard.")
    success_url: str | None = D(description="Where Stripe sends the user after paying when checkout names none.")
    cancel_url: str | None = D(description="Where Stripe sends the user after cancelling when checkout names none.")

    @classmethod
    def of(cls, s: svc.RedirectSettings) -> BillingSettings:
        return cls(redirect_patterns=list(s.redirect_patterns), success_url=s.success_url, cancel_url=s.cancel_url)


@strawberry.type(description="A Stripe Checkout session: open `url` to pay.")
class CheckoutSession:
    id: strawberry.ID = D(description="Stripe's session id (`cs_...`).")
    url: str = D(description="The Stripe-hosted payment page; send the user's browser there.")

    @classmethod
    def of(cls, s: svc.CheckoutSession) -> CheckoutSession:
        return cls(id=strawberry.ID(s.id), url=s.url)


@strawberry.input(description="A new subscription product.")
class CreateProductInput:
    slug: str = D(description=_SLUG)
    name: str = D(description="Display name (1..255 characters).")
    stripe_price_id: str = D(description=_PRICE)
    active: bool = D(default=True, description="Whether it can be checked out (default true).")


@strawberry.input(description="Partial: only the fields given change; an explicit null is VALIDATION_FAILED.")
class UpdateProductInput:
    slug: str | None = D(default=strawberry.UNSET, description=_SLUG)
    name: str | None = D(default=strawberry.UNSET, description="Display name (1..255 characters).")
    stripe_price_id: str | None = D(default=strawberry.UNSET, description=_PRICE)
    active: bool | None = D(default=strawberry.UNSET, description="Whether it can be checked out.")


@strawberry.input(description="Replaces the tenant's checkout redirect settings.")
class BillingSettingsInput:
    redirect_patterns: list[str] = D(description="At most 50 absolute http(s) URLs without query or fragment; the "
                                                 "path is a prefix or, with `*`, a wildcard.")
    success_url: str | None = D(default=None, description="Default URL after paying (absolute http(s)); null: none.")
    cancel_url: str | None = D(default=None, description="Default URL after cancelling (absolute http(s)); null: "
                                                         "none.")


@strawberry.type
class BillingQuery:
    @strawberry.field(description="The tenant's subscription products, oldest first (client token). Errors: "
                      + CLIENT_ERRORS + ".")
    async def products(self, info: Info) -> list[Product]:
        return [Product.of(p) for p in await resolvers.products(info.context)]

    @strawberry.field(description="One product by id or slug (client token). Errors: " + CLIENT_ERRORS
                      + ", NOT_FOUND.")
    async def product(self, info: Info, id: ProductKey) -> Product:
        return Product.of(await resolvers.product(info.context, svc.product_key(str(id))))

    @strawberry.field(description="Checkout redirect patterns and default URLs (client token). Errors: "
                      + CLIENT_ERRORS + ".")
    async def billing_settings(self, info: Info) -> BillingSettings:
        return BillingSettings.of(await resolvers.billing_settings(info.context))


@strawberry.type
class BillingMutation:
    @strawberry.mutation(description="Creates a subscription product (client token). Errors: " + CLIENT_ERRORS
                         + ", VALIDATION_FAILED (a bad field, the slug taken).")
    async def create_product(self, info: Info,
                             input: Annotated[CreateProductInput, A(description="The new product.")]) -> Product:
        return Product.of(await resolvers.create_product(info.context, submitted(svc.ProductCreate, input)))

    @strawberry.mutation(description="Changes a product (client token); `id` is its id or slug. Errors: "
                         + CLIENT_ERRORS + ", NOT_FOUND, VALIDATION_FAILED (a bad field, the slug taken).")
    async def update_product(self, info: Info, id: ProductKey,
                             input: Annotated[UpdateProductInput, A(description="The fields to change.")]) -> Product:
        update = submitted(svc.ProductUpdate, input)
        return Product.of(await resolvers.update_product(info.context, svc.product_key(str(id)), update))

    @strawberry.mutation(description="Deletes a product (client token); `id` is its id or slug. True when done. "
                         "Errors: " + CLIENT_ERRORS + ", NOT_FOUND.")
    async def delete_product(self, info: Info, id: ProductKey) -> bool:
        await resolvers.delete_product(info.context, svc.product_key(str(id)))
        return True

    @strawberry.mutation(description="Replaces the checkout redirect settings (client token). Errors: "
                         + CLIENT_ERRORS + ", VALIDATION_FAILED naming `redirect_patterns.<i>`, `success_url` or "
                         "`cancel_url` (no usable absolute http(s) URL).")
    async def set_billing_settings(self, info: Info,
                                   input: Annotated[BillingSettingsInput, A(description="The whole settings.")]
                                   ) -> BillingSettings:
        return BillingSettings.of(await resolvers.set_billing_settings(info.context, submitted(svc.BillingSettingsInput, input)))

    @strawberry.mutation(description="A Stripe Checkout session for a subscription product (user token); "
                         "open `url` to pay; Stripe's webhooks then make the user SUBSCRIBED. Errors: "
                         "UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (a client token), VALIDATION_FAILED "
                         "(unknown or inactive product, a URL missing with no default or matching no redirect "
                         "pattern), ALREADY_SUBSCRIBED, SERVICE_UNAVAILABLE (Stripe unreachable).")
    async def create_checkout_session(
        self, info: Info,
        product_slug: Annotated[str, A(description="The product's slug (1..64 characters).")],
        success_url: Annotated[str | None, A(description=_URL + "; null: the tenant's default.")] = None,
        cancel_url: Annotated[str | None, A(description=_URL + "; null: the tenant's default.")] = None,
    ) -> CheckoutSession:
        checkout = Submitted(svc.CheckoutInput, {"product_slug": product_slug, "success_url": success_url,
                                                 "cancel_url": cancel_url})
        return CheckoutSession.of(await resolvers.create_checkout_session(info.context, checkout))
