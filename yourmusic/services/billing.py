"""Billing: products, checkout redirects, Stripe Checkout sessions and Stripe webhooks.

Checkout: the user's Stripe customer is made once (the row only after Stripe answered), then a
subscription-mode Checkout Session naming tenant and user; both calls carry idempotency keys, so a
retried request never makes a second customer or session. Any Stripe failure is a 503 with nothing
written locally.

Webhooks: verify the signature on the raw body -> store the event by its Stripe id -> apply it in
one transaction that locks the user's row. An event is resolved to a user through its Stripe
customer (only customers this service made are known); metadata and `client_reference_id` must
agree with that customer's tenant and user, or nothing changes. Events are applied in the order of
their own `created` time: an event older than the state applied last is recorded and ignored (ties
within one second keep the more advanced state: active < past due < ended).

Inputs are the domain models below (the transports validate them through `validation.Submitted`);
answers are `models.Product` rows, or the values below (`ProductValue`, `RedirectSettings`,
`CheckoutSession`, `WebhookOutcome`), which each transport shapes.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from yourmusic.errors import (AlreadySubscribed, InvalidSignature, MalformedEvent, NotFound, ServiceUnavailable,
                              ValidationFailed)
from yourmusic.integrations.stripe import events
from yourmusic.live.events import publish, user_changed
from yourmusic.integrations.stripe.client import StripeGateway, StripeNotFound, StripeUnavailable
from yourmusic.models import BillingProfile, BillingSettings, Product, StripeEvent, User, UserStatus
from yourmusic.services import redirects
from yourmusic.services.scoping import of_tenant, parse_id, parse_slug
from yourmusic.values import RowValue
from yourmusic.validation import NO_ROW, Input, Name, Slug, given

log = logging.getLogger("yourmusic.billing")

PRICE_ID = r"^price_[A-Za-z0-9_]+$"


# --------------------------------------------------------------------------- products


class ProductCreate(Input):
    """A subscription product: a slug unique in the tenant, a name, the Stripe price it sells."""

    slug: Slug
    name: Name
    stripe_price_id: str = Field(max_length=255, pattern=PRICE_ID, description="The Stripe price id (price_...).")
    active: bool = True


class ProductUpdate(Input):
    """Partial: only the fields sent change; an explicit null is refused."""

    slug: Slug = None  # type: ignore[assignment]
    name: Name = None  # type: ignore[assignment]
    stripe_price_id: str = Field(default=None, max_length=255, pattern=PRICE_ID)  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]


class ProductValue(RowValue):
    """A subscription product a user can check out."""

    # The one shape of a product: REST's ProductOut derives from it, GraphQL's Product maps from it.

    id: uuid.UUID
    slug: str
    name: str
    stripe_price_id: str = Field(description="The Stripe price id (price_...).")
    active: bool = Field(description="Only active products can be checked out.")
    created_at: datetime
    updated_at: datetime


ProductKey = uuid.UUID | str
"""A product named by its id, or by its slug (the transports accept either)."""


def product_key(value: str) -> ProductKey:
    """What a caller's `id or slug` names: a UUID-shaped string is an id, a slug (`validation.Slug`) a slug.
    Anything else (a NUL character, longer than the column) can name no product: the nil UUID, which no row
    has, so the lookup answers the usual 404 instead of a query the database refuses."""
    return parse_id(value) or parse_slug(value) or NO_ROW


_SLUG_TAKEN = {"slug": ["The slug has already been taken."]}


async def list_products(tenant_id: uuid.UUID) -> list[Product]:
    """The tenant's products, oldest first."""
    return await of_tenant(Product, tenant_id).order_by("created_at", "id")


async def get_product(tenant_id: uuid.UUID, key: ProductKey) -> Product:
    """By id or by slug, in this tenant only; NotFound otherwise."""
    query = of_tenant(Product, tenant_id)
    row = await (query.get_or_none(id=key) if isinstance(key, uuid.UUID) else query.get_or_none(slug=key))
    if row is None:
        raise NotFound("Product not found.")
    return row


async def create_product(tenant_id: uuid.UUID, new: ProductCreate) -> Product:
    """The new product; ValidationFailed (`slug`) when the slug is taken in this tenant."""
    if await of_tenant(Product, tenant_id).filter(slug=new.slug).exists():
        raise ValidationFailed(_SLUG_TAKEN)
    try:
        return await Product.create(tenant_id=tenant_id, **new.model_dump())
    except IntegrityError:
        raise ValidationFailed(_SLUG_TAKEN) from None


async def update_product(product: Product, update: ProductUpdate) -> Product:
    """The product with the fields `update` was given changed (none: unchanged, not saved);
    ValidationFailed (`slug`) when the new slug is another product's."""
    changes = given(update)
    if not changes:
        return product
    tenant_id = product.tenant_id  # type: ignore[attr-defined]
    if "slug" in changes and await of_tenant(Product, tenant_id).filter(slug=changes["slug"]).exclude(
        id=product.id
    ).exists():
        raise ValidationFailed(_SLUG_TAKEN)
    product.update_from_dict(changes)
    try:
        await product.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        raise ValidationFailed(_SLUG_TAKEN) from None
    return product


async def delete_product(tenant_id: uuid.UUID, key: ProductKey) -> None:
    """Deletes the product (NotFound when this tenant has none by that id or slug)."""
    product = await get_product(tenant_id, key)
    await product.delete()


# --------------------------------------------------------------------------- redirect settings


class BillingSettingsInput(Input):
    """A tenant's whole checkout redirect settings (PUT: what is not sent is cleared)."""

    redirect_patterns: list[str] = Field(default_factory=list, max_length=50)
    success_url: str | None = None
    cancel_url: str | None = None


class RedirectSettings(BaseModel):
    """Where checkout may send a user back: allowed URL patterns, and the default URLs."""

    model_config = ConfigDict(frozen=True)

    redirect_patterns: list[str]
    success_url: str | None
    cancel_url: str | None


async def get_settings(tenant_id: uuid.UUID) -> RedirectSettings:
    """The tenant's settings (none stored: no pattern, no default)."""
    row = await of_tenant(BillingSettings, tenant_id).get_or_none()
    if row is None:
        return RedirectSettings(redirect_patterns=[], success_url=None, cancel_url=None)
    return RedirectSettings(redirect_patterns=list(row.redirect_patterns or []), success_url=row.success_url,
                            cancel_url=row.cancel_url)


async def set_settings(tenant_id: uuid.UUID, body: BillingSettingsInput) -> RedirectSettings:
    """Replaces the tenant's patterns and default URLs (PUT semantics); ValidationFailed naming each
    pattern (`redirect_patterns.<i>`) or URL that is no usable absolute http(s) URL."""
    errors: dict[str, list[str]] = {}
    for i, pattern in enumerate(body.redirect_patterns):
        try:
            redirects.parse_url(pattern, pattern=True)
        except redirects.BadUrl as exc:
            errors[f"redirect_patterns.{i}"] = [f"The redirect pattern {exc}."]
    for name in ("success_url", "cancel_url"):
        value = getattr(body, name)
        if value is not None:
            try:
                redirects.parse_url(value)
            except redirects.BadUrl as exc:
                errors[name] = [f"The {name.replace('_', ' ')} {exc}."]
    if errors:
        raise ValidationFailed(errors)
    patterns = list(dict.fromkeys(body.redirect_patterns))
    async with in_transaction():
        row = await of_tenant(BillingSettings, tenant_id).select_for_update().get_or_none()
        if row is None:
            await BillingSettings.create(tenant_id=tenant_id, redirect_patterns=patterns,
                                         success_url=body.success_url, cancel_url=body.cancel_url)
        else:
            row.redirect_patterns, row.success_url, row.cancel_url = patterns, body.success_url, body.cancel_url
            await row.save()
    return RedirectSettings(redirect_patterns=patterns, success_url=body.success_url, cancel_url=body.cancel_url)


# --------------------------------------------------------------------------- entitlement


def is_entitled(user: User, now: datetime | None = None) -> bool:
    """The one entitlement rule (checkout's 409, streaming): SUBSCRIBED with a period that ends in the
    future. A SUBSCRIBED row whose `subscription_ends_at` has passed, or was never set, is not entitled."""
    ends = user.subscription_ends_at
    return user.status == UserStatus.SUBSCRIBED and ends is not None and ends > (now or datetime.now(UTC))


# --------------------------------------------------------------------------- checkout


# An absolute URL (checked against the tenant's patterns by `redirects`), documented as `uri`.
RedirectUrl = Annotated[str, Field(max_length=redirects.MAX_URL, json_schema_extra={"format": "uri"})]


class CheckoutInput(Input):
    """What a user wants to buy, and where Stripe sends them back (unset: the tenant's defaults)."""

    product_slug: str = Field(min_length=1, max_length=64)
    success_url: RedirectUrl | None = None
    cancel_url: RedirectUrl | None = None


class CheckoutSession(BaseModel):
    """A Stripe Checkout session: open `url` to pay."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str


def _key(*parts: Any) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:40]


def client_reference(tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"{tenant_id}:{user_id}"


async def _redirect(settings: RedirectSettings, given_url: str | None, field: str) -> str:
    label = field.replace("_", " ")
    if given_url is None:
        default = getattr(settings, field)
        if not default:
            raise ValidationFailed.field(field, f"The {label} field is required (no default is configured).")
        return default
    if not redirects.matches(given_url, settings.redirect_patterns):
        raise ValidationFailed.field(field, f"The {label} does not match an allowed redirect URL.")
    return given_url


async def _customer_id(gateway: StripeGateway, user: User) -> str:
    """The user's Stripe customer: made once; the row is written only after Stripe answered."""
    profile = await BillingProfile.get_or_none(user_id=user.id, tenant_id=user.tenant_id)  # type: ignore[attr-defined]
    if profile is not None:
        return profile.stripe_customer_id
    tenant_id = user.tenant_id  # type: ignore[attr-defined]
    customer = await gateway.create_customer(
        {"email": user.email, "name": f"{user.first_name} {user.last_name}".strip(),
         "metadata": {"tenant_id": str(tenant_id), "user_id": str(user.id)}},
        idempotency_key=f"ym-customer-{tenant_id}-{user.id}",
    )
    try:
        profile = await BillingProfile.create(tenant_id=tenant_id, user_id=user.id, stripe_customer_id=customer["id"])
    except IntegrityError:  # a concurrent checkout of the same user stored it first (same customer: same key)
        profile = await BillingProfile.get(user_id=user.id)
    return profile.stripe_customer_id


async def create_checkout_session(gateway: StripeGateway, tenant_id: uuid.UUID, user_id: uuid.UUID,
                                  body: CheckoutInput) -> CheckoutSession:
    """A subscription-mode Checkout Session for the user (see the module's docstring).

    ValidationFailed naming `product_slug` (unknown or inactive), `success_url`/`cancel_url` (matches no
    pattern, or unset without a default); NotFound when the user is gone; AlreadySubscribed (409) when
    entitled; ServiceUnavailable when Stripe fails (nothing written but the customer, once made).
    """
    product = await of_tenant(Product, tenant_id).get_or_none(slug=body.product_slug)
    if product is None or not product.active:
        raise ValidationFailed.field("product_slug", "The selected product slug is invalid.")
    settings = await get_settings(tenant_id)
    success_url = await _redirect(settings, body.success_url, "success_url")
    cancel_url = await _redirect(settings, body.cancel_url, "cancel_url")
    user = await of_tenant(User, tenant_id).get_or_none(id=user_id)
    if user is None:
        raise NotFound("User not found.")
    if is_entitled(user):
        raise AlreadySubscribed()
    try:
        customer_id = await _customer_id(gateway, user)
        reference = client_reference(tenant_id, user_id)
        metadata = {"tenant_id": str(tenant_id), "user_id": str(user_id), "product": product.slug}
        # The same request within the hour answers the same session (a double click, a retry).
        key = _key("checkout", tenant_id, user_id, product.id, product.stripe_price_id, success_url, cancel_url,
                   int(time.time() // 3600))
        session = await gateway.create_checkout_session({
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": product.stripe_price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": reference,
            "metadata": metadata,
            "subscription_data": {"metadata": {"tenant_id": str(tenant_id), "user_id": str(user_id)}},
        }, idempotency_key=f"ym-checkout-{key}")
    except StripeUnavailable:
        raise ServiceUnavailable("The payment provider is unavailable; please try again.") from None
    except StripeNotFound:
        raise ServiceUnavailable("The payment provider refused the checkout; please try again.") from None
    return CheckoutSession(id=session["id"], url=session["url"])


# --------------------------------------------------------------------------- webhooks

DONE = {"processed", "ignored"}
_RANK = {UserStatus.SUBSCRIBED: 1, UserStatus.PAST_DUE: 2, UserStatus.UNSUBSCRIBED: 3}
_SUBSCRIPTION_STATUS = {
    "active": UserStatus.SUBSCRIBED,
    "trialing": UserStatus.SUBSCRIBED,
    "past_due": UserStatus.PAST_DUE,
    "unpaid": UserStatus.PAST_DUE,
    "canceled": UserStatus.UNSUBSCRIBED,
    "incomplete_expired": UserStatus.UNSUBSCRIBED,
    "paused": UserStatus.UNSUBSCRIBED,
}  # "incomplete" changes nothing: the first payment is still under way
HANDLED = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
}


@dataclass
class Change:
    """What one event says about a user's subscription (None: it says nothing about that part)."""

    customer: str | None
    subscription_id: str | None = None
    status: UserStatus | None = None
    ends_at: int | None = None
    payment_method: Any = None  # an id or an expanded PaymentMethod
    claims: tuple[tuple[str | None, str | None], ...] = ()  # (tenant_id, user_id) the event names


@dataclass(frozen=True)
class WebhookOutcome:
    status: str  # processed | ignored | duplicate
    detail: str = ""


def _id(value: Any) -> str | None:
    """A Stripe reference: an id string, or an expanded object's id."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _metadata_claim(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return meta.get("tenant_id"), meta.get("user_id")


def _reference_claim(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    ref = obj.get("client_reference_id")
    if not isinstance(ref, str) or not ref:
        return None, None
    tenant, sep, user = ref.partition(":")
    return (tenant, user) if sep else (tenant, "")  # a reference not made by us never matches


def _period_end(sub: dict[str, Any]) -> int | None:
    end = _int(sub.get("current_period_end"))
    if end is None:  # newer API versions keep the period on the items
        items = (sub.get("items") or {}).get("data") if isinstance(sub.get("items"), dict) else None
        ends = [_int(i.get("current_period_end")) for i in items or [] if isinstance(i, dict)]
        end = max((e for e in ends if e is not None), default=None)
    return end


def _from_subscription(sub: dict[str, Any], deleted: bool = False) -> Change:
    status = UserStatus.UNSUBSCRIBED if deleted else _SUBSCRIPTION_STATUS.get(str(sub.get("status")))
    ends_at = _period_end(sub)
    if status == UserStatus.UNSUBSCRIBED:
        ends_at = _int(sub.get("ended_at")) or ends_at
    return Change(customer=_id(sub.get("customer")), subscription_id=_id(sub), status=status, ends_at=ends_at,
                  payment_method=sub.get("default_payment_method"), claims=(_metadata_claim(sub),))


def _invoice_subscription(inv: dict[str, Any]) -> tuple[str | None, tuple[str | None, str | None]]:
    sub = _id(inv.get("subscription"))
    details = ((inv.get("parent") or {}).get("subscription_details") or {}) if isinstance(inv.get("parent"), dict) else {}
    sub = sub or _id(details.get("subscription"))
    claim = _metadata_claim(details) if isinstance(details, dict) else (None, None)
    return sub, claim


def _from_invoice(inv: dict[str, Any], paid: bool) -> Change:
    sub, claim = _invoice_subscription(inv)
    ends_at = None
    if paid:
        lines = (inv.get("lines") or {}).get("data") if isinstance(inv.get("lines"), dict) else None
        ends = [_int((line.get("period") or {}).get("end")) for line in lines or [] if isinstance(line, dict)]
        ends_at = max((e for e in ends if e is not None), default=None)
        start, end = _int(inv.get("period_start")), _int(inv.get("period_end"))
        if ends_at is None and end is not None and (start is None or end > start):
            ends_at = end
    return Change(customer=_id(inv.get("customer")), subscription_id=sub,
                  status=(UserStatus.SUBSCRIBED if paid else UserStatus.PAST_DUE) if sub else None,
                  ends_at=ends_at, claims=(_metadata_claim(inv), claim))


def _verify(payload: bytes, signature: str | None, secret: str, tolerance: int) -> dict[str, Any]:
    """The signed event, every field billing reads of the type it expects (integrations/stripe/events.py).

    400 INVALID_SIGNATURE for a missing or wrong signature; 400 MALFORMED_EVENT, saying why and logged
    with the event id, for a signed body that is no usable event. Nothing is stored for either.
    """
    try:
        events.verify_signature(payload, signature, secret, tolerance)
        return events.parse_event(payload)
    except events.BadSignature as exc:
        raise InvalidSignature(str(exc)) from None
    except events.MalformedEvent as exc:
        log.warning("stripe event %s refused: %s", exc.event_id or "(no id)", exc.reason)
        raise MalformedEvent(exc.reason) from None


async def _store(event: dict[str, Any]) -> StripeEvent:
    """The event's row, made before anything is applied (a redelivery finds it)."""
    try:
        return await StripeEvent.create(event_id=event["id"], type=event["type"], created=event["created"],
                                        payload=event)
    except IntegrityError:
        row = await StripeEvent.get_or_none(event_id=event["id"])
        if row is None:  # pragma: no cover - the conflicting row vanished
            raise ServiceUnavailable() from None
        return row


async def _finish(row: StripeEvent, status: str, detail: str = "", profile: BillingProfile | None = None) -> None:
    row.status, row.detail, row.processed_at = status, detail[:255], datetime.now(UTC)
    if profile is not None:
        row.tenant_id, row.user_id = profile.tenant_id, profile.user_id  # type: ignore[attr-defined]
    await row.save(update_fields=["status", "detail", "processed_at", "tenant_id", "user_id"])


async def _change_of(gateway: StripeGateway, event: dict[str, Any]) -> Change:
    kind, obj = event["type"], event["data"]["object"]
    if kind == "checkout.session.completed":
        claims = (_metadata_claim(obj), _reference_claim(obj))
        change = Change(customer=_id(obj.get("customer")), subscription_id=_id(obj.get("subscription")),
                        claims=claims)
        if obj.get("mode", "subscription") != "subscription" or not change.subscription_id:
            return change  # nothing about a subscription: ignored once resolved
        try:  # the session says little: read the subscription it started (status, period, card)
            sub = events.parse_subscription(await gateway.subscription(change.subscription_id))
        except StripeNotFound:
            return change
        except events.MalformedEvent as exc:  # Stripe answered something unreadable: retry later
            log.warning("stripe subscription %s unreadable: %s", change.subscription_id, exc.reason)
            raise StripeUnavailable("subscription retrieve") from None
        found = _from_subscription(sub)
        if found.customer != change.customer:
            return Change(customer=None)  # not this customer's subscription: never applied
        change.status, change.ends_at, change.payment_method = found.status, found.ends_at, found.payment_method
        change.claims = claims + found.claims
        return change
    if kind.startswith("customer.subscription."):
        return _from_subscription(obj, deleted=kind == "customer.subscription.deleted")
    return _from_invoice(obj, paid=kind == "invoice.paid")


async def _resolve(change: Change) -> tuple[BillingProfile | None, str]:
    if not change.customer:
        return None, "no customer"
    profile = await BillingProfile.get_or_none(stripe_customer_id=change.customer)
    if profile is None:
        return None, "unknown customer"
    for tenant_claim, user_claim in change.claims:
        if tenant_claim is not None and tenant_claim != str(profile.tenant_id):  # type: ignore[attr-defined]
            return None, "names another tenant than its customer's"
        if user_claim is not None and user_claim != str(profile.user_id):  # type: ignore[attr-defined]
            return None, "names another user than its customer's"
    return profile, ""


async def _card(gateway: StripeGateway, payment_method: Any) -> tuple[str, str] | None:
    pm = payment_method
    if isinstance(pm, str) and pm:
        try:
            pm = await gateway.payment_method(pm)
        except StripeNotFound:
            return None
    card = pm.get("card") if isinstance(pm, dict) else None
    if not isinstance(card, dict) or not isinstance(card.get("brand"), str) or not isinstance(card.get("last4"), str):
        return None
    return card["brand"][:32], card["last4"][-4:]


NOT_CURRENT = "not the user's current subscription"


def stale_reason(profile: BillingProfile, change: Change, at: int) -> str | None:
    """Why this change must not be applied over the profile's state, or None to apply it."""
    assert change.status is not None
    current = profile.stripe_subscription_id
    if current and change.subscription_id and change.subscription_id != current:
        if change.status != UserStatus.SUBSCRIBED:
            return NOT_CURRENT
        if profile.state_at is not None and at < profile.state_at:
            return "older than the state applied"
        return None  # a newer subscription takes over
    if profile.state_at is not None:
        if at < profile.state_at:
            return "older than the state applied"
        if at == profile.state_at and _RANK[change.status] < profile.state_rank:
            return "older than the state applied (same second)"
    return None


async def receive_webhook(gateway: StripeGateway, secret: str, tolerance: int, payload: bytes,
                          signature: str | None) -> WebhookOutcome:
    event = _verify(payload, signature, secret, tolerance)
    row = await _store(event)
    if row.status in DONE:
        return WebhookOutcome("duplicate")
    if event["type"] not in HANDLED:
        await _finish(row, "ignored", "not a handled event type")
        return WebhookOutcome("ignored", "not a handled event type")
    try:
        change = await _change_of(gateway, event)
        profile, why = await _resolve(change)
        card = await _card(gateway, change.payment_method) if profile is not None and change.payment_method else None
    except StripeUnavailable:
        row.status, row.detail = "failed", "the payment provider was unavailable"
        await row.save(update_fields=["status", "detail"])
        raise ServiceUnavailable("The payment provider is unavailable; the event will be retried.") from None
    if profile is None:
        log.info("stripe event %s (%s) ignored: %s", event["id"], event["type"], why)
        await _finish(row, "ignored", why)
        return WebhookOutcome("ignored", why)
    if change.status is None:
        await _finish(row, "ignored", "no subscription state in the event", profile)
        return WebhookOutcome("ignored", "no subscription state in the event")
    return await _apply(row, profile, change, card, event["created"])


async def _apply(row: StripeEvent, found: BillingProfile, change: Change, card: tuple[str, str] | None,
                 at: int) -> WebhookOutcome:
    async with in_transaction():
        locked = await StripeEvent.select_for_update().get(id=row.id)
        if locked.status in DONE:  # a concurrent delivery of the same event applied it
            return WebhookOutcome("duplicate")
        user = await User.select_for_update().get_or_none(id=found.user_id, tenant_id=found.tenant_id)  # type: ignore[attr-defined]
        profile = await BillingProfile.select_for_update().get_or_none(id=found.id, tenant_id=found.tenant_id)  # type: ignore[attr-defined]
        if user is None or profile is None:
            await _finish(locked, "ignored", "the user is gone", found)
            return WebhookOutcome("ignored", "the user is gone")
        reason = stale_reason(profile, change, at)
        # The card has its own clock: an older event may still bring the newest card seen so far.
        take_card = card is not None and reason != NOT_CURRENT and (
            profile.pm_state_at is None or at >= profile.pm_state_at)
        if reason is not None and not take_card:
            await _finish(locked, "ignored", reason, profile)
            return WebhookOutcome("ignored", reason)
        user_fields, profile_fields = ["updated_at"], ["updated_at"]
        if reason is None:
            assert change.status is not None
            user.status = change.status
            user_fields.append("status")
            if change.ends_at is not None:
                user.subscription_ends_at = datetime.fromtimestamp(change.ends_at, UTC)
                user_fields.append("subscription_ends_at")
            profile.state_at, profile.state_rank = at, _RANK[change.status]
            profile_fields += ["state_at", "state_rank"]
            if change.subscription_id:
                profile.stripe_subscription_id = change.subscription_id
                profile_fields.append("stripe_subscription_id")
        if take_card:
            assert card is not None
            user.pm_type, user.pm_last_four = card
            profile.pm_state_at = at
            user_fields += ["pm_type", "pm_last_four"]
            profile_fields.append("pm_state_at")
        await user.save(update_fields=user_fields)
        await profile.save(update_fields=profile_fields)
        await publish(user_changed(user.tenant_id, user.id))  # type: ignore[attr-defined]  # after the commit
        if reason is not None:
            await _finish(locked, "processed", f"card only; {reason}", profile)
            return WebhookOutcome("processed", "card only")
        await _finish(locked, "processed", "", profile)
    return WebhookOutcome("processed")
