"""#17 checkout, products and redirect settings (Billing), and the Stripe webhook."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from yourmusic.resolvers import billing
from yourmusic.rest_compat.core import OAUTH2, UDT, Call, Operation
from yourmusic.rest_compat.names import contract_shape
from yourmusic.rest_compat.responses import JSONResponse, no_content
from yourmusic.rest_compat.shapes import Shape
from yourmusic.services import billing as svc
from yourmusic.services.billing import BillingSettingsInput, CheckoutInput, ProductCreate, ProductUpdate

ProductOut = contract_shape(svc.ProductValue, "ProductOut")
BillingSettingsOut = contract_shape(svc.RedirectSettings, "BillingSettingsOut")
CheckoutSessionOut = contract_shape(svc.CheckoutSession, "CheckoutSessionOut")


class StripeEventIn(BaseModel):
    """A Stripe event, signed by Stripe (`Stripe-Signature`, checked on the raw body)."""

    model_config = ConfigDict(extra="allow")
    id: str
    type: str
    created: int
    data: dict[str, Any]


class WebhookOut(Shape):
    received: bool
    status: str


def _product(call: Call) -> svc.ProductKey:
    """The path's `{product}`: an id or a slug."""
    return svc.product_key(call.path("product"))


async def list_products(call: Call) -> Response:
    return JSONResponse([ProductOut.dump(p) for p in await billing.products(call.ctx)])


async def create_product(call: Call) -> Response:
    return JSONResponse(ProductOut.dump(await billing.create_product(call.ctx, await call.body(ProductCreate))), status_code=201)


async def get_product(call: Call) -> Response:
    return JSONResponse(ProductOut.dump(await billing.product(call.ctx, _product(call))))


async def update_product(call: Call) -> Response:
    found = await billing.update_product(call.ctx, _product(call), await call.body(ProductUpdate))
    return JSONResponse(ProductOut.dump(found))


async def delete_product(call: Call) -> Response:
    await billing.delete_product(call.ctx, _product(call))
    return no_content()


async def get_settings(call: Call) -> Response:
    return JSONResponse(BillingSettingsOut.dump(await billing.billing_settings(call.ctx)))


async def put_settings(call: Call) -> Response:
    return JSONResponse(BillingSettingsOut.dump(await billing.set_billing_settings(call.ctx, await call.body(BillingSettingsInput))))


async def create_checkout_session(call: Call) -> Response:
    session = await billing.create_checkout_session(call.ctx, await call.body(CheckoutInput))
    return JSONResponse(CheckoutSessionOut.dump(session), status_code=201)


async def stripe_webhook(call: Call) -> Response:
    payload = await call.request.body()  # the raw bytes: the signature covers them exactly
    outcome = await billing.stripe_webhook(call.ctx, payload, call.request.headers.get("stripe-signature"))
    return JSONResponse({"received": True, "status": outcome.status})


_P = "/api/products/{product}"
OPERATIONS = [
    Operation(("POST",), "/api/checkout/sessions", create_checkout_session, "createCheckoutSession",
              "Create Stripe Checkout session", "Checkout", "Mutation.createCheckoutSession", auth=(UDT,),
              body=CheckoutInput, response=CheckoutSessionOut, status=201,
              description="Creates a new Stripe Checkout session for a subscription product. Optionally accepts "
              "custom redirect URLs that must match configured allowed patterns. If not provided, the tenant's "
              "default success_url / cancel_url is used. A user already subscribed gets 409 ALREADY_SUBSCRIBED; "
              "Stripe failing is a 503.",
              errors=(401, 403, 409, 422, 503)),
    Operation(("GET",), "/api/products", list_products, "listProducts", "List products", "Billing",
              "Query.products", auth=(OAUTH2,), response=dict(type="array", items={"$ref": "#/components/schemas/ProductOut"}),
              errors=(401, 403)),
    Operation(("POST",), "/api/products", create_product, "createProduct", "Create product", "Billing",
              "Mutation.createProduct", auth=(OAUTH2,), body=ProductCreate, response=ProductOut, status=201,
              errors=(401, 403, 422)),
    Operation(("GET",), _P, get_product, "getProduct", "Get product", "Billing", "Query.product",
              auth=(OAUTH2,), response=ProductOut, description="`product` is the product's id or slug.",
              errors=(401, 403, 404)),
    Operation(("PATCH",), _P, update_product, "updateProduct", "Update product", "Billing",
              "Mutation.updateProduct", auth=(OAUTH2,), body=ProductUpdate, response=ProductOut,
              description="Partial update: only the fields sent change. `product` is the id or slug.",
              errors=(401, 403, 404, 422)),
    Operation(("DELETE",), _P, delete_product, "deleteProduct", "Delete product", "Billing",
              "Mutation.deleteProduct", auth=(OAUTH2,), status=204, errors=(401, 403, 404)),
    Operation(("GET",), "/api/billing/settings", get_settings, "getBillingSettings", "Get billing settings",
              "Billing", "Query.billingSettings", auth=(OAUTH2,), response=BillingSettingsOut, errors=(401, 403)),
    Operation(("PUT",), "/api/billing/settings", put_settings, "setBillingSettings", "Set billing settings",
              "Billing", "Mutation.setBillingSettings", auth=(OAUTH2,), body=BillingSettingsInput,
              response=BillingSettingsOut,
              description="Replaces the allowed checkout redirect URL patterns and the default success and cancel "
              "URLs. A pattern is an absolute http(s) URL: scheme, host and port match exactly; its path is a "
              "prefix, or a wildcard where it contains `*`.",
              errors=(401, 403, 422)),
    Operation(("POST",), "/api/webhooks/stripe", stripe_webhook, "stripeWebhook", "Stripe webhook", "Billing",
              "", body=StripeEventIn, response=WebhookOut,
              description="Stripe events, verified with `Stripe-Signature` on the raw body (300 s tolerance; "
              "400 `INVALID_SIGNATURE` when missing or wrong, nothing stored), checked (400 `MALFORMED_EVENT` "
              "saying why for a signed body that is no usable event: not a JSON object, NUL characters, a "
              "field billing reads of the wrong type, a timestamp out of range; nothing stored), stored by id "
              "(a redelivery is a no-op) and applied in the order of their own timestamps. 503 only when a "
              "dependency (database, Stripe) is down. No GraphQL twin.",
              errors=(400, 503)),
]
