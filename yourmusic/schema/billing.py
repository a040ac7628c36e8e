"""Billing in GraphQL: products and redirect settings (client token), checkout (user token)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from yourmusic import models
from yourmusic.resolvers import billing as resolvers
from yourmusic.schema.info import Info, submitted
from yourmusic.services import billing as svc
from yourmusic.validation import Submitted


@strawberry.type
class Product:
    id: strawberry.ID
    slug: str
    name: str
    stripe_price_id: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: models.Product | svc.ProductValue) -> Product:
        """From a product row or value (the same attributes)."""
        return cls(id=strawberry.ID(str(p.id)), slug=p.slug, name=p.name, stripe_price_id=p.stripe_price_id,
                   active=p.active, created_at=p.created_at, updated_at=p.updated_at)


@strawberry.type
class BillingSettings:
    redirect_patterns: list[str]
    success_url: str | None
    cancel_url: str | None

    @classmethod
    def of(cls, s: svc.RedirectSettings) -> BillingSettings:
        return cls(redirect_patterns=list(s.redirect_patterns), success_url=s.success_url, cancel_url=s.cancel_url)


@strawberry.type
class CheckoutSession:
    id: strawberry.ID
    url: str

    @classmethod
    def of(cls, s: svc.CheckoutSession) -> CheckoutSession:
        return cls(id=strawberry.ID(s.id), url=s.url)


@strawberry.input
class CreateProductInput:
    slug: str
    name: str
    stripe_price_id: str
    active: bool = True


@strawberry.input(description="Partial: only the fields given change.")
class UpdateProductInput:
    slug: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    stripe_price_id: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.input(description="Replaces the tenant's checkout redirect settings.")
class BillingSettingsInput:
    redirect_patterns: list[str]
    success_url: str | None = None
    cancel_url: str | None = None


@strawberry.type
class BillingQuery:
    @strawberry.field(description="The tenant's subscription products (client token).")
    async def products(self, info: Info) -> list[Product]:
        return [Product.of(p) for p in await resolvers.products(info.context)]

    @strawberry.field(description="One product by id or slug (client token).")
    async def product(self, info: Info, id: strawberry.ID) -> Product:
        return Product.of(await resolvers.product(info.context, svc.product_key(str(id))))

    @strawberry.field(description="Checkout redirect patterns and default URLs (client token).")
    async def billing_settings(self, info: Info) -> BillingSettings:
        return BillingSettings.of(await resolvers.billing_settings(info.context))


@strawberry.type
class BillingMutation:
    @strawberry.mutation
    async def create_product(self, info: Info, input: CreateProductInput) -> Product:
        return Product.of(await resolvers.create_product(info.context, submitted(svc.ProductCreate, input)))

    @strawberry.mutation(description="`id` is the product's id or slug.")
    async def update_product(self, info: Info, id: strawberry.ID, input: UpdateProductInput) -> Product:
        update = submitted(svc.ProductUpdate, input)
        return Product.of(await resolvers.update_product(info.context, svc.product_key(str(id)), update))

    @strawberry.mutation(description="`id` is the product's id or slug. True when done.")
    async def delete_product(self, info: Info, id: strawberry.ID) -> bool:
        await resolvers.delete_product(info.context, svc.product_key(str(id)))
        return True

    @strawberry.mutation
    async def set_billing_settings(self, info: Info, input: BillingSettingsInput) -> BillingSettings:
        return BillingSettings.of(await resolvers.set_billing_settings(info.context, submitted(svc.BillingSettingsInput, input)))

    @strawberry.mutation(description="A Stripe Checkout session for a subscription product (user token); "
                         "open `url` to pay.")
    async def create_checkout_session(self, info: Info, product_slug: str, success_url: str | None = None,
                                      cancel_url: str | None = None) -> CheckoutSession:
        checkout = Submitted(svc.CheckoutInput, {"product_slug": product_slug, "success_url": success_url,
                                                 "cancel_url": cancel_url})
        return CheckoutSession.of(await resolvers.create_checkout_session(info.context, checkout))
