"""The typed billing service called directly (no transport): the order in which Stripe events apply,
the card's own clock, a replaced subscription's late events, products and redirect settings."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.stripe_helpers import STRIPE_SECRET, event, signed
from yourmusic.errors import NotFound, ValidationFailed
from yourmusic.integrations.stripe.client import StripeNotFound
from yourmusic.models import BillingProfile, StripeEvent, User, UserStatus
from yourmusic.services import billing, users

END = int(time.time()) + 30 * 86400
AMEX = {"id": "pm_amex", "object": "payment_method", "type": "card", "card": {"brand": "amex", "last4": "0005"}}
VISA = {"id": "pm_visa", "object": "payment_method", "type": "card", "card": {"brand": "visa", "last4": "4242"}}


class _Stripe:
    """Stands in for the gateway: knows the payment methods it is given, nothing else."""

    def __init__(self, *methods: dict[str, Any]) -> None:
        self.methods = {m["id"]: m for m in methods}

    async def payment_method(self, pm_id: str) -> dict[str, Any]:
        if pm_id not in self.methods:
            raise StripeNotFound("payment method")
        return self.methods[pm_id]

    async def subscription(self, sub_id: str) -> dict[str, Any]:
        raise StripeNotFound("subscription")


async def _customer(tenant_id: uuid.UUID) -> BillingProfile:
    new = users.UserCreate(first_name="Ada", last_name="Lovelace", email=f"{uuid.uuid4().hex[:8]}@example.com",
                           date_of_birth=date(1985, 12, 10))
    user = await users.create_user(tenant_id, new)
    return await BillingProfile.create(tenant_id=tenant_id, user_id=user.id,
                                       stripe_customer_id=f"cus_{uuid.uuid4().hex[:16]}")


def _sub(p: BillingProfile, *, sub_id: str = "sub_1", status: str = "active", pm: Any = None,
         period_end: int = END, **extra: Any) -> dict[str, Any]:
    return {"id": sub_id, "object": "subscription", "customer": p.stripe_customer_id, "status": status,
            "current_period_end": period_end, "default_payment_method": pm,
            "metadata": {"tenant_id": str(p.tenant_id), "user_id": str(p.user_id)}, **extra}


def _invoice(p: BillingProfile, *, paid: bool, sub_id: str = "sub_1") -> dict[str, Any]:
    return {"id": f"in_{uuid.uuid4().hex[:12]}", "object": "invoice", "customer": p.stripe_customer_id,
            "subscription": sub_id, "status": "paid" if paid else "open", "period_start": END - 30 * 86400,
            "period_end": END}


async def _receive(evt: dict[str, Any], stripe: _Stripe | None = None) -> billing.WebhookOutcome:
    payload, headers = signed(evt)
    return await billing.receive_webhook(stripe or _Stripe(), STRIPE_SECRET, 300, payload,  # type: ignore[arg-type]
                                         headers["Stripe-Signature"])


async def _state(p: BillingProfile) -> tuple[UserStatus, datetime | None, str | None, str | None]:
    u = await User.get(id=p.user_id)  # type: ignore[attr-defined]
    return u.status, u.subscription_ends_at, u.pm_type, u.pm_last_four


async def test_an_event_older_than_the_state_applied_is_recorded_and_ignored(tenant):
    p = await _customer(tenant.id)
    t = int(time.time()) - 100
    assert (await _receive(event("invoice.payment_failed", _invoice(p, paid=False), created=t))).status == "processed"
    late = event("invoice.paid", _invoice(p, paid=True), created=t - 1)
    assert await _receive(late) == billing.WebhookOutcome("ignored", "older than the state applied")
    assert (await _state(p))[0] == UserStatus.PAST_DUE
    row = await StripeEvent.get(event_id=late["id"])
    assert (row.status, row.user_id) == ("ignored", p.user_id)  # type: ignore[attr-defined]
    # A redelivery of an event already handled is a no-op, whatever it says.
    assert (await _receive(late)).status == "duplicate"


@pytest.mark.parametrize("first, second, outcome, final", [
    ("invoice.paid", "invoice.payment_failed", "processed", UserStatus.PAST_DUE),
    ("invoice.payment_failed", "invoice.paid", "ignored", UserStatus.PAST_DUE),
    ("invoice.paid", "customer.subscription.deleted", "processed", UserStatus.UNSUBSCRIBED),
    ("customer.subscription.deleted", "invoice.paid", "ignored", UserStatus.UNSUBSCRIBED),
])
async def test_within_one_second_the_more_advanced_state_wins(tenant, first, second, outcome, final):
    """active < past due < ended: in one second, either order ends in the more advanced state."""
    p = await _customer(tenant.id)
    t = int(time.time()) - 100

    def make(kind: str) -> dict[str, Any]:
        if kind == "customer.subscription.deleted":
            return event(kind, _sub(p, status="canceled"), created=t)
        return event(kind, _invoice(p, paid=kind == "invoice.paid"), created=t)

    assert (await _receive(make(first))).status == "processed"
    second_outcome = await _receive(make(second))
    assert second_outcome.status == outcome
    if outcome == "ignored":
        assert second_outcome.detail == "older than the state applied (same second)"
    assert (await _state(p))[0] == final


async def test_the_card_keeps_its_own_clock(tenant):
    p = await _customer(tenant.id)
    t = int(time.time()) - 100
    stripe = _Stripe(AMEX, VISA)
    ended = event("customer.subscription.deleted", _sub(p, status="canceled", ended_at=t), created=t)
    assert (await _receive(ended, stripe)).status == "processed"
    # An older event brings no status, but the newest card seen so far (by id, read from Stripe).
    older = event("customer.subscription.updated", _sub(p, pm="pm_amex"), created=t - 50)
    assert await _receive(older, stripe) == billing.WebhookOutcome("processed", "card only")
    assert await _state(p) == (UserStatus.UNSUBSCRIBED, datetime.fromtimestamp(t, UTC), "amex", "0005")
    # An even older card does not replace it; a newer one does, and a card Stripe no longer knows is no card.
    oldest = event("customer.subscription.updated", _sub(p, pm=VISA), created=t - 60)
    assert (await _receive(oldest, stripe)).status == "ignored"
    assert (await _state(p))[2:] == ("amex", "0005")
    newer = event("customer.subscription.updated", _sub(p, status="canceled", pm=VISA), created=t + 5)
    assert (await _receive(newer, stripe)).status == "processed"
    assert (await _state(p))[2:] == ("visa", "4242")
    gone = event("customer.subscription.updated", _sub(p, status="canceled", pm="pm_gone"), created=t + 6)
    assert (await _receive(gone, stripe)).status == "processed"
    assert (await _state(p))[2:] == ("visa", "4242")


async def test_a_late_event_of_a_replaced_subscription_never_ends_the_new_one(tenant):
    p = await _customer(tenant.id)
    t = int(time.time()) - 100
    for evt in (event("customer.subscription.created", _sub(p, sub_id="sub_old"), created=t),
                event("customer.subscription.deleted", _sub(p, sub_id="sub_old", status="canceled"), created=t + 10),
                event("customer.subscription.created", _sub(p, sub_id="sub_new"), created=t + 20)):
        assert (await _receive(evt)).status == "processed"
    assert (await BillingProfile.get(id=p.id)).stripe_subscription_id == "sub_new"
    for late in (event("customer.subscription.updated", _sub(p, sub_id="sub_old", status="canceled", pm=VISA),
                       created=t + 30),
                 event("invoice.payment_failed", _invoice(p, paid=False, sub_id="sub_old"), created=t + 31)):
        assert await _receive(late) == billing.WebhookOutcome("ignored", billing.NOT_CURRENT)
    assert (await _state(p))[0::2] == (UserStatus.SUBSCRIBED, None)  # nor its card
    # An older event of another subscription that would subscribe does not take over either.
    stale = event("customer.subscription.updated", _sub(p, sub_id="sub_other"), created=t + 15)
    assert await _receive(stale) == billing.WebhookOutcome("ignored", "older than the state applied")
    assert (await BillingProfile.get(id=p.id)).stripe_subscription_id == "sub_new"


async def test_products_by_id_or_slug_and_partial_updates(tenant, other_tenant):
    made = await billing.create_product(tenant.id, billing.ProductCreate(slug="premium", name="Premium",
                                                                         stripe_price_id="price_1"))
    assert billing.product_key(str(made.id)) == made.id and billing.product_key("premium") == "premium"
    assert (await billing.get_product(tenant.id, made.id)).slug == "premium"
    assert (await billing.get_product(tenant.id, "premium")).id == made.id
    with pytest.raises(NotFound):
        await billing.get_product(other_tenant.id, made.id)
    other = await billing.create_product(tenant.id, billing.ProductCreate(slug="basic", name="Basic",
                                                                          stripe_price_id="price_2"))
    with pytest.raises(ValidationFailed) as caught:
        await billing.update_product(other, billing.ProductUpdate(slug="premium"))
    assert caught.value.errors == {"slug": ["The slug has already been taken."]}
    updated = await billing.update_product(other, billing.ProductUpdate(active=False))
    assert (updated.slug, updated.name, updated.active) == ("basic", "Basic", False)  # the rest kept
    assert billing.ProductValue.model_validate(updated).active is False


async def test_redirect_settings_name_each_bad_url(tenant):
    with pytest.raises(ValidationFailed) as caught:
        await billing.set_settings(tenant.id, billing.BillingSettingsInput(
            redirect_patterns=["https://ok.example/*", "ftp://no.example"], success_url="nope"))
    assert set(caught.value.errors) == {"redirect_patterns.1", "success_url"}
    assert await billing.get_settings(tenant.id) == billing.RedirectSettings(
        redirect_patterns=[], success_url=None, cancel_url=None)  # nothing stored
    saved = await billing.set_settings(tenant.id, billing.BillingSettingsInput(
        redirect_patterns=["https://ok.example/*", "https://ok.example/*"], success_url="https://ok.example/done"))
    assert saved == await billing.get_settings(tenant.id)
    assert saved.redirect_patterns == ["https://ok.example/*"] and saved.cancel_url is None
