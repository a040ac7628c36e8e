"""Billing (#17, products, redirect settings, the Stripe webhook): the real stripe SDK over HTTP against
the sandbox, the sandbox's own signed webhooks replayed into the app, and hand-built signed events
(out of order, duplicated, too old, tampered, naming another tenant's user)."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
import pytest_asyncio

from tests.api import bearer, gql_codes
from tests.stripe_helpers import deliver, event, replay, signed
from yourmusic.models import BillingProfile, BillingSettings, Product, StripeEvent, User, UserStatus
from yourmusic.services import redirects

PRICE = "price_premium_monthly"
BASE = "https://app.example.com"


@pytest_asyncio.fixture
async def shop(api, tenant):
    """A tenant with a product and redirect settings, and one user holding a UDT."""
    r = await api.http.post("/api/products", json={"slug": "premium", "name": "Premium", "stripe_price_id": PRICE},
                            headers=tenant.auth)
    assert r.status_code == 201, r.text
    r = await api.http.put("/api/billing/settings", headers=tenant.auth, json={
        "redirect_patterns": [f"{BASE}/billing/*", "https://shop.example.com/return"],
        "success_url": f"{BASE}/billing/success", "cancel_url": f"{BASE}/billing/cancel"})
    assert r.status_code == 200, r.text
    user = await api.create_user(tenant)
    return tenant, user, bearer(await api.udt(tenant, user["id"]))


async def _checkout(api, auth, **body) -> httpx.Response:
    return await api.http.post("/api/checkout/sessions", json={"product_slug": "premium", **body}, headers=auth)


async def _me(api, auth) -> dict:
    r = await api.http.get("/api/me", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def _profile_for(user_id: str) -> BillingProfile:
    """A user with a Stripe customer, made without Stripe (hand-built events need only the link)."""
    user = await User.get(id=user_id)
    return await BillingProfile.create(tenant_id=user.tenant_id, user_id=user.id,
                                       stripe_customer_id=f"cus_{uuid.uuid4().hex[:16]}")


def _sub(profile: BillingProfile, *, sub_id: str = "sub_1", status: str = "active", period_end: int | None = None,
         pm: object = None, **extra) -> dict:
    return {"id": sub_id, "object": "subscription", "customer": profile.stripe_customer_id, "status": status,
            "current_period_start": int(time.time()) - 10,
            "current_period_end": period_end or int(time.time()) + 30 * 86400,
            "default_payment_method": pm, "cancel_at_period_end": False,
            "metadata": {"tenant_id": str(profile.tenant_id), "user_id": str(profile.user_id)}, **extra}


def _invoice(profile: BillingProfile, *, sub_id: str = "sub_1", status: str = "paid", period_end: int | None = None) -> dict:
    end = period_end or int(time.time()) + 30 * 86400
    return {"id": f"in_{uuid.uuid4().hex[:12]}", "object": "invoice", "customer": profile.stripe_customer_id,
            "subscription": sub_id, "status": status, "period_start": end - 30 * 86400, "period_end": end}


CARD = {"id": "pm_card", "object": "payment_method", "type": "card", "card": {"brand": "amex", "last4": "0005"}}


async def _snapshot(user_id) -> tuple:
    u = await User.get(id=user_id)
    return u.status, u.subscription_ends_at, u.pm_type, u.pm_last_four


# --------------------------------------------------------------------------- products and settings


async def test_products_crud(api, tenant, other_tenant):
    r = await api.http.post("/api/products", headers=tenant.auth,
                            json={"slug": "gold", "name": "Gold", "stripe_price_id": "price_gold"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert set(made) == {"id", "slug", "name", "stripe_price_id", "active", "created_at", "updated_at"}
    assert made["active"] is True
    assert (await api.http.get("/api/products/gold", headers=tenant.auth)).json()["id"] == made["id"]
    assert (await api.http.get(f"/api/products/{made['id']}", headers=tenant.auth)).json()["slug"] == "gold"
    r = await api.http.patch("/api/products/gold", headers=tenant.auth, json={"active": False, "name": "Gold+"})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["name"] == "Gold+"
    assert [p["slug"] for p in (await api.http.get("/api/products", headers=tenant.auth)).json()] == ["gold"]
    # Another tenant sees nothing of it and may reuse the slug.
    assert (await api.http.get("/api/products/gold", headers=other_tenant.auth)).status_code == 404
    assert (await api.http.get(f"/api/products/{made['id']}", headers=other_tenant.auth)).status_code == 404
    assert (await api.http.delete(f"/api/products/{made['id']}", headers=other_tenant.auth)).status_code == 404
    assert (await api.http.get("/api/products", headers=other_tenant.auth)).json() == []
    r = await api.http.post("/api/products", headers=other_tenant.auth,
                            json={"slug": "gold", "name": "Theirs", "stripe_price_id": "price_theirs"})
    assert r.status_code == 201
    assert (await api.http.delete("/api/products/gold", headers=tenant.auth)).status_code == 204
    assert (await api.http.get("/api/products/gold", headers=tenant.auth)).status_code == 404
    assert await Product.filter(tenant_id=other_tenant.id).count() == 1


@pytest.mark.parametrize("body,field", [
    ({"name": "x", "stripe_price_id": PRICE}, "slug"),
    ({"slug": "Bad Slug", "name": "x", "stripe_price_id": PRICE}, "slug"),
    ({"slug": "ok", "name": "", "stripe_price_id": PRICE}, "name"),
    ({"slug": "ok", "name": "x", "stripe_price_id": "prod_123"}, "stripe_price_id"),
    ({"slug": "ok", "name": "x", "stripe_price_id": PRICE, "active": "maybe"}, "active"),
])
async def test_product_validation(api, tenant, body, field):
    r = await api.http.post("/api/products", json=body, headers=tenant.auth)
    assert r.status_code == 422 and field in r.json()["errors"], r.text
    assert await Product.filter(tenant_id=tenant.id).count() == 0


async def test_product_slug_unique_and_auth(api, tenant):
    body = {"slug": "one", "name": "One", "stripe_price_id": PRICE}
    assert (await api.http.post("/api/products", json=body, headers=tenant.auth)).status_code == 201
    r = await api.http.post("/api/products", json=body, headers=tenant.auth)
    assert r.status_code == 422 and r.json()["errors"] == {"slug": ["The slug has already been taken."]}
    await api.http.post("/api/products", json={**body, "slug": "two"}, headers=tenant.auth)
    r = await api.http.patch("/api/products/two", json={"slug": "one"}, headers=tenant.auth)
    assert r.status_code == 422 and "slug" in r.json()["errors"]
    r = await api.http.patch("/api/products/two", json={"name": None}, headers=tenant.auth)
    assert r.status_code == 422
    user = await api.create_user(tenant)
    udt = bearer(await api.udt(tenant, user["id"]))
    assert (await api.http.get("/api/products", headers=udt)).status_code == 403
    assert (await api.http.post("/api/products", json=body, headers=udt)).status_code == 403
    assert (await api.http.get("/api/products")).status_code == 401


async def test_products_graphql(api, tenant):
    q = """mutation($i: CreateProductInput!) { createProduct(input: $i) { id slug name stripePriceId active } }"""
    res = await api.gql(q, {"i": {"slug": "gql", "name": "G", "stripePriceId": "price_g"}}, token=tenant.token)
    assert res["data"]["createProduct"]["slug"] == "gql", res
    res = await api.gql('mutation { updateProduct(id: "gql", input: {active: false}) { active } }', token=tenant.token)
    assert res["data"]["updateProduct"]["active"] is False
    res = await api.gql("{ products { slug active } }", token=tenant.token)
    assert res["data"]["products"] == [{"slug": "gql", "active": False}]
    res = await api.gql(q, {"i": {"slug": "gql", "name": "G", "stripePriceId": "price_g"}}, token=tenant.token)
    assert gql_codes(res) == ["VALIDATION_FAILED"]
    res = await api.gql('mutation { setBillingSettings(input: {redirectPatterns: ["https://a.example/x"], '
                        'successUrl: "https://a.example/x/ok"}) { redirectPatterns successUrl cancelUrl } }',
                        token=tenant.token)
    assert res["data"]["setBillingSettings"] == {"redirectPatterns": ["https://a.example/x"],
                                                 "successUrl": "https://a.example/x/ok", "cancelUrl": None}
    res = await api.gql("{ billingSettings { redirectPatterns } }", token=tenant.token)
    assert res["data"]["billingSettings"]["redirectPatterns"] == ["https://a.example/x"]


async def test_billing_settings_validation(api, tenant):
    good = {"redirect_patterns": ["https://a.example/ok/*"], "success_url": "https://a.example/ok/done"}
    assert (await api.http.put("/api/billing/settings", json=good, headers=tenant.auth)).status_code == 200
    for bad in ({"redirect_patterns": ["ftp://a.example/"]}, {"redirect_patterns": ["https://u@a.example/"]},
                {"redirect_patterns": ["https://*.a.example/"]}, {"redirect_patterns": ["https://a.example/x?y=1"]},
                {"redirect_patterns": "https://a.example/"}, {"success_url": "javascript:alert(1)"},
                {"cancel_url": "//evil.example/"}):
        r = await api.http.put("/api/billing/settings", json=bad, headers=tenant.auth)
        assert r.status_code == 422, (bad, r.text)
    r = await api.http.get("/api/billing/settings", headers=tenant.auth)
    assert r.json() == {"redirect_patterns": ["https://a.example/ok/*"], "success_url": "https://a.example/ok/done",
                        "cancel_url": None}
    assert await BillingSettings.filter(tenant_id=tenant.id).count() == 1


PATTERNS = ["https://app.example.com/billing/*", "https://app.example.com/account", "http://localhost:3000/done"]


@pytest.mark.parametrize("url", [
    "https://app.example.com/billing/success", "https://app.example.com/billing/x/y?session_id={CHECKOUT_SESSION_ID}",
    "https://app.example.com/account", "https://app.example.com/account/plan", "https://APP.example.com/account",
    "https://app.example.com:443/account", "http://localhost:3000/done?x=1",
])
def test_redirect_allowed(url):
    assert redirects.matches(url, PATTERNS)


@pytest.mark.parametrize("url", [
    "https://evil.example/billing/x", "https://app.example.com.evil.example/billing/x",
    "https://app.example.com@evil.example/billing/x", "https://user:pw@app.example.com/billing/x",
    "https://app.example.com\\@evil.example/billing/x", "https://app.example.com\\evil.example/billing/",
    "https://app.example.com:8443/billing/x", "http://app.example.com/billing/x", "//app.example.com/billing/x",
    "javascript://app.example.com/billing/%0aalert(1)", "https://app.example.com/accountant",
    "https://app.example.com/billing/../admin", "https://app.example.com/billing/%2e%2e/admin",
    "https://app.example.com/billing%2f..%2fadmin", "https://app.example.com/ billing/x",
    "https://app.example.com/billing/\tx", "https:/app.example.com/billing/x", "https://app.exämple.com/billing/x",
    "http://localhost:3001/done", "http://localhost/done", "", "https://app.example.com/billing",
])
def test_redirect_refused(url):
    assert not redirects.matches(url, PATTERNS)


# --------------------------------------------------------------------------- checkout


async def test_checkout_session(api, shop, stripe_sandbox):
    tenant, user, auth = shop
    r = await _checkout(api, auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "url"} and body["id"].startswith("cs_")
    assert body["url"] == f"{stripe_sandbox.url}/checkout/{body['id']}"
    session = stripe_sandbox.state.sessions[body["id"]]
    profile = await BillingProfile.get(user_id=user["id"])
    assert profile.tenant_id == tenant.id and session["customer"] == profile.stripe_customer_id
    assert session["mode"] == "subscription" and stripe_sandbox.state.line_items[body["id"]][0]["price"] == PRICE
    assert session["client_reference_id"] == f"{tenant.id}:{user['id']}"
    assert session["metadata"]["tenant_id"] == str(tenant.id) and session["metadata"]["user_id"] == user["id"]
    assert (session["success_url"], session["cancel_url"]) == (f"{BASE}/billing/success", f"{BASE}/billing/cancel")
    customer = stripe_sandbox.state.customers[profile.stripe_customer_id]
    assert customer["email"] == user["email"] and customer["metadata"]["user_id"] == user["id"]

    # The same request again: the same session (idempotency key); other URLs: a new session, same customer.
    assert (await _checkout(api, auth)).json()["id"] == body["id"]
    r = await _checkout(api, auth, success_url=f"{BASE}/billing/ok?s={{CHECKOUT_SESSION_ID}}",
                        cancel_url="https://shop.example.com/return/here")
    assert r.status_code == 201 and r.json()["id"] != body["id"]
    other = stripe_sandbox.state.sessions[r.json()["id"]]
    assert other["customer"] == profile.stripe_customer_id
    assert other["success_url"] == f"{BASE}/billing/ok?s={{CHECKOUT_SESSION_ID}}"
    assert await BillingProfile.filter(user_id=user["id"]).count() == 1
    assert sum(c["metadata"].get("user_id") == user["id"] for c in stripe_sandbox.state.customers.values()) == 1


async def test_checkout_graphql(api, shop):
    tenant, user, auth = shop
    token = auth["Authorization"].split()[1]
    q = 'mutation { createCheckoutSession(productSlug: "premium") { id url } }'
    res = await api.gql(q, token=token)
    assert res["data"]["createCheckoutSession"]["id"].startswith("cs_"), res
    res = await api.gql('mutation { createCheckoutSession(productSlug: "nope") { id } }', token=token)
    assert gql_codes(res) == ["VALIDATION_FAILED"]
    assert gql_codes(await api.gql(q, token=tenant.token)) == ["FORBIDDEN"]


@pytest.mark.parametrize("body,field", [
    ({"product_slug": "nope"}, "product_slug"),
    ({"product_slug": "retired"}, "product_slug"),
    ({}, "product_slug"),
    ({"product_slug": 5}, "product_slug"),
    ({"product_slug": "premium", "success_url": "https://evil.example/billing/x"}, "success_url"),
    ({"product_slug": "premium", "success_url": "https://app.example.com@evil.example/billing/x"}, "success_url"),
    ({"product_slug": "premium", "cancel_url": "https://app.example.com:444/billing/x"}, "cancel_url"),
    ({"product_slug": "premium", "cancel_url": "http://app.example.com/billing/x"}, "cancel_url"),
    ({"product_slug": "premium", "success_url": "https://app.example.com\\evil.example/billing/"}, "success_url"),
])
async def test_checkout_refused_422_nothing_written(api, shop, stripe_sandbox, body, field):
    tenant, user, auth = shop
    await api.http.post("/api/products", headers=tenant.auth,
                        json={"slug": "retired", "name": "Old", "stripe_price_id": PRICE, "active": False})
    customers = len(stripe_sandbox.state.customers)
    r = await api.http.post("/api/checkout/sessions", json=body, headers=auth)
    assert r.status_code == 422 and field in r.json()["errors"], r.text
    assert not await BillingProfile.filter(user_id=user["id"]).exists()
    assert len(stripe_sandbox.state.customers) == customers


async def test_checkout_without_defaults_or_product_of_other_tenant(api, tenant, other_tenant):
    await api.http.post("/api/products", headers=other_tenant.auth,
                        json={"slug": "theirs", "name": "T", "stripe_price_id": PRICE})
    await api.http.post("/api/products", headers=tenant.auth, json={"slug": "mine", "name": "M", "stripe_price_id": PRICE})
    user = await api.create_user(tenant)
    auth = bearer(await api.udt(tenant, user["id"]))
    r = await api.http.post("/api/checkout/sessions", json={"product_slug": "theirs"}, headers=auth)
    assert r.status_code == 422 and "product_slug" in r.json()["errors"]
    r = await api.http.post("/api/checkout/sessions", json={"product_slug": "mine"}, headers=auth)
    assert r.status_code == 422 and "success_url" in r.json()["errors"]  # no pattern and no default configured
    assert (await api.http.post("/api/checkout/sessions", json={"product_slug": "mine"})).status_code == 401


async def test_checkout_when_subscribed_is_409(api, shop):
    tenant, user, auth = shop
    await User.filter(id=user["id"]).update(status=UserStatus.SUBSCRIBED,
                                            subscription_ends_at=datetime.now(UTC) + timedelta(days=3))
    r = await _checkout(api, auth)
    assert r.status_code == 409 and r.json() == {"message": "The user already has an active subscription.",
                                                 "code": "ALREADY_SUBSCRIBED"}
    assert not await BillingProfile.filter(user_id=user["id"]).exists()
    # SUBSCRIBED but past its period end is effectively ended: checkout is open again.
    await User.filter(id=user["id"]).update(subscription_ends_at=datetime.now(UTC) - timedelta(minutes=1))
    assert (await _checkout(api, auth)).status_code == 201
    await User.filter(id=user["id"]).update(status=UserStatus.PAST_DUE)
    assert (await _checkout(api, auth)).status_code == 201


@pytest.mark.parametrize("overrides", [
    {"stripe_api_base": "http://127.0.0.1:1"},  # unreachable
    {"stripe_api_key": "pk_test_not_a_secret_key"},  # Stripe answers with an error
])
async def test_checkout_stripe_failure_is_503_nothing_written(api, shop, use_container, stripe_sandbox, overrides):
    tenant, user, auth = shop
    use_container(**{"stripe_api_base": stripe_sandbox.url, **overrides})
    sessions = len(stripe_sandbox.state.sessions)
    r = await _checkout(api, auth)
    assert r.status_code == 503 and r.json()["code"] == "SERVICE_UNAVAILABLE", r.text
    assert "sk_" not in r.text and "pk_" not in r.text
    assert not await BillingProfile.filter(user_id=user["id"]).exists()
    assert len(stripe_sandbox.state.sessions) == sessions


async def test_checkout_session_failure_after_customer_keeps_only_the_customer(api, shop, stripe_sandbox):
    tenant, user, auth = shop
    # Stripe refuses the session (a customer it no longer knows): 503, and the stored link is all there is.
    await BillingProfile.create(tenant_id=tenant.id, user_id=user["id"], stripe_customer_id="cus_deleted_in_stripe")
    r = await _checkout(api, auth)
    assert r.status_code == 503 and r.json()["code"] == "SERVICE_UNAVAILABLE"
    assert await BillingProfile.filter(user_id=user["id"]).count() == 1


# --------------------------------------------------------------------------- the full path


async def test_full_path_subscribe_fail_cancel(api, shop, stripe_sandbox):
    tenant, user, auth = shop
    stripe_sandbox.receiver.take()
    session = (await _checkout(api, auth)).json()
    async with httpx.AsyncClient(base_url=stripe_sandbox.url) as web:
        page = await web.get(f"/checkout/{session['id']}")
        assert page.status_code == 200 and ">Pay<" in page.text and ">Cancel<" in page.text
        paid = await web.post(f"/checkout/{session['id']}/pay", data={"card": "visa"})
        assert paid.status_code == 303 and paid.headers["location"] == f"{BASE}/billing/success"
        sent = stripe_sandbox.receiver.take()
        results = await replay(api.http, sent)
        assert [(x["type"], x["status"]) for x in results] == [
            ("checkout.session.completed", "processed"), ("customer.subscription.created", "processed"),
            ("invoice.paid", "processed")]
        sub_id = stripe_sandbox.state.sessions[session["id"]]["subscription"]
        period_end = stripe_sandbox.state.subscriptions[sub_id]["current_period_end"]
        me = await _me(api, auth)
        assert (me["status"], me["pm_type"], me["pm_last_four"]) == ("SUBSCRIBED", "visa", "4242")
        assert datetime.fromisoformat(me["subscription_ends_at"]).timestamp() == period_end
        assert (await _checkout(api, auth)).status_code == 409

        # Redelivered, all of them: nothing changes.
        assert {x["status"] for x in await replay(api.http, sent)} == {"duplicate"}

        # A failed renewal: PAST_DUE.
        assert (await web.post(f"/_sandbox/subscriptions/{sub_id}/fail_payment")).status_code == 200
        assert [x["status"] for x in await replay(api.http, stripe_sandbox.receiver.take())] == ["processed"]
        me = await _me(api, auth)
        assert (me["status"], me["pm_last_four"]) == ("PAST_DUE", "4242")

        # Cancelled at the period end while past due: stays PAST_DUE until then, then UNSUBSCRIBED.
        assert (await web.post(f"/_sandbox/subscriptions/{sub_id}/cancel?at_period_end=true")).status_code == 200
        assert [x["type"] for x in await replay(api.http, stripe_sandbox.receiver.take())] == [
            "customer.subscription.updated"]
        me = await _me(api, auth)
        assert me["status"] == "PAST_DUE"
        assert datetime.fromisoformat(me["subscription_ends_at"]).timestamp() == period_end
        assert (await web.post(f"/_sandbox/subscriptions/{sub_id}/end_period")).status_code == 200
        assert [x["type"] for x in await replay(api.http, stripe_sandbox.receiver.take())] == [
            "customer.subscription.deleted"]
        me = await _me(api, auth)
        assert me["status"] == "UNSUBSCRIBED"
        assert datetime.fromisoformat(me["subscription_ends_at"]).timestamp() == period_end
        assert (me["pm_type"], me["pm_last_four"]) == ("visa", "4242")
        assert (await _checkout(api, auth)).status_code == 201  # may subscribe again
    assert await StripeEvent.filter(user_id=user["id"], status="processed").count() == 6
    assert await StripeEvent.filter(user_id=user["id"]).exclude(tenant_id=tenant.id).count() == 0


async def test_cancel_at_period_end_keeps_access_until_then(api, shop, stripe_sandbox):
    tenant, user, auth = shop
    stripe_sandbox.receiver.take()
    session = (await _checkout(api, auth)).json()
    async with httpx.AsyncClient(base_url=stripe_sandbox.url) as web:
        await web.post(f"/checkout/{session['id']}/pay")
        await replay(api.http, stripe_sandbox.receiver.take())
        sub_id = stripe_sandbox.state.sessions[session["id"]]["subscription"]
        period_end = stripe_sandbox.state.subscriptions[sub_id]["current_period_end"]
        await web.post(f"/_sandbox/subscriptions/{sub_id}/cancel?at_period_end=true")
        assert [x["status"] for x in await replay(api.http, stripe_sandbox.receiver.take())] == ["processed"]
        me = await _me(api, auth)
        assert me["status"] == "SUBSCRIBED"
        assert datetime.fromisoformat(me["subscription_ends_at"]).timestamp() == period_end
        assert (await _checkout(api, auth)).status_code == 409  # still paid up until the period end
        await web.post(f"/_sandbox/subscriptions/{sub_id}/end_period")
        await replay(api.http, stripe_sandbox.receiver.take())
        assert (await _me(api, auth))["status"] == "UNSUBSCRIBED"


async def test_sandbox_events_in_any_order_end_the_same(api, tenant, stripe_sandbox):
    """Every order of the pay events for one user ends SUBSCRIBED with the card (same-second ties)."""
    await api.http.post("/api/products", headers=tenant.auth, json={"slug": "premium", "name": "P", "stripe_price_id": PRICE})
    await api.http.put("/api/billing/settings", headers=tenant.auth, json={
        "redirect_patterns": [f"{BASE}/billing/*"], "success_url": f"{BASE}/billing/s", "cancel_url": f"{BASE}/billing/c"})
    async with httpx.AsyncClient(base_url=stripe_sandbox.url) as web:
        for order in itertools.permutations(range(3)):
            user = await api.create_user(tenant)
            auth = bearer(await api.udt(tenant, user["id"]))
            stripe_sandbox.receiver.take()
            session = (await _checkout(api, auth)).json()
            await web.post(f"/checkout/{session['id']}/pay", data={"card": "mastercard"})
            sent = stripe_sandbox.receiver.take()
            await replay(api.http, [sent[i] for i in order])
            me = await _me(api, auth)
            assert (me["status"], me["pm_type"], me["pm_last_four"]) == ("SUBSCRIBED", "mastercard", "5555"), order
            assert me["subscription_ends_at"] is not None


# --------------------------------------------------------------------------- hand-built events


async def test_signature_checks_store_nothing(api, tenant):
    user = await api.create_user(tenant)
    profile = await _profile_for(user["id"])
    evt = event("customer.subscription.updated", _sub(profile))
    before = await _snapshot(user["id"])
    body, headers = signed(evt)
    cases = [
        (body, {}),  # no signature
        (body, {"Stripe-Signature": "garbage"}),
        (body, signed(evt, secret="whsec_someone_else")[1]),  # another secret
        (body, signed(evt, at=int(time.time()) - 301)[1]),  # replayed after the tolerance
        (body.replace(b'"active"', b'"past_due"'), headers),  # tampered after signing
        (body + b" ", headers),
    ]  # signed but no usable event: MALFORMED_EVENT, in test_webhook_shapes.py
    for raw, h in cases:
        r = await api.http.post("/api/webhooks/stripe", content=raw, headers={"Content-Type": "application/json", **h})
        assert r.status_code == 400, (raw[:40], h, r.text)
        assert r.json()["code"] == "INVALID_SIGNATURE"
    assert not await StripeEvent.filter(event_id__in=[evt["id"], "evt_x"]).exists()
    assert await _snapshot(user["id"]) == before
    # The genuine one, just inside the tolerance, is applied.
    r = await deliver(api.http, evt, at=int(time.time()) - 290)
    assert r.status_code == 200 and r.json() == {"received": True, "status": "processed"}
    assert (await _snapshot(user["id"]))[0] == UserStatus.SUBSCRIBED


async def test_out_of_order_never_overwrites_newer(api, tenant):
    user = await api.create_user(tenant)
    p = await _profile_for(user["id"])
    t = int(time.time())
    end = t + 30 * 86400
    deleted = event("customer.subscription.deleted", _sub(p, status="canceled", period_end=end, ended_at=t - 100),
                    created=t - 100)
    created = event("customer.subscription.created", _sub(p, period_end=end, pm=CARD), created=t - 300)
    failed = event("invoice.payment_failed", _invoice(p, status="open", period_end=end), created=t - 200)
    paid = event("invoice.paid", _invoice(p, period_end=end), created=t - 250)
    assert (await deliver(api.http, deleted)).json()["status"] == "processed"
    # The older subscription event still brings the newest card seen (the card has its own clock) ...
    assert (await deliver(api.http, created)).json()["status"] == "processed"
    for older in (failed, paid):
        assert (await deliver(api.http, older)).json()["status"] == "ignored"
    status, ends, pm_type, last4 = await _snapshot(user["id"])
    # ... but no older status or period.
    assert status == UserStatus.UNSUBSCRIBED and ends == datetime.fromtimestamp(t - 100, UTC)
    assert (pm_type, last4) == ("amex", "0005")
    assert (await StripeEvent.get(event_id=created["id"])).detail == "card only; older than the state applied"
    rows = await StripeEvent.filter(event_id__in=[e["id"] for e in (failed, paid)])
    assert {r.status for r in rows} == {"ignored"} and {r.detail for r in rows} == {"older than the state applied"}
    # A newer card wins over an older one, in either order.
    newer = {**CARD, "card": {"brand": "visa", "last4": "1111"}}
    assert (await deliver(api.http, event("customer.subscription.updated", _sub(p, pm=newer, status="canceled"),
                                          created=t - 20))).json()["status"] == "processed"
    assert (await deliver(api.http, event("customer.subscription.updated", _sub(p, pm=CARD),
                                          created=t - 30))).json()["status"] == "ignored"
    assert (await _snapshot(user["id"]))[2:] == ("visa", "1111")


async def test_every_order_of_a_history_ends_in_the_same_state(api, tenant):
    t = int(time.time()) - 1000
    end = t + 30 * 86400

    def history(p):
        return [
            event("customer.subscription.created", _sub(p, period_end=end, pm=CARD), created=t),
            event("invoice.paid", _invoice(p, period_end=end), created=t + 1),
            event("invoice.payment_failed", _invoice(p, status="open", period_end=end), created=t + 2),
            event("customer.subscription.updated", _sub(p, status="past_due", period_end=end,
                                                         cancel_at_period_end=True), created=t + 3),
        ]

    finals = set()
    for order in itertools.permutations(range(4)):
        user = await api.create_user(tenant)
        p = await _profile_for(user["id"])
        events = history(p)
        for i in order:
            assert (await deliver(api.http, events[i])).status_code == 200
        finals.add(await _snapshot(user["id"]))
    assert finals == {(UserStatus.PAST_DUE, datetime.fromtimestamp(end, UTC), "amex", "0005")}


async def test_duplicates_are_no_ops(api, tenant):
    user = await api.create_user(tenant)
    p = await _profile_for(user["id"])
    t = int(time.time())
    active = event("customer.subscription.updated", _sub(p, pm=CARD), created=t - 50)
    assert (await deliver(api.http, active)).json()["status"] == "processed"
    failed = event("invoice.payment_failed", _invoice(p, status="open"), created=t - 10)
    assert (await deliver(api.http, failed)).json()["status"] == "processed"
    # The first one again, freshly signed: stored already, so nothing happens (not even "older").
    r = await deliver(api.http, active)
    assert r.status_code == 200 and r.json()["status"] == "duplicate"
    assert (await _snapshot(user["id"]))[0] == UserStatus.PAST_DUE
    assert await StripeEvent.filter(event_id=active["id"]).count() == 1
    # Concurrent deliveries of one new event: applied once.
    paid = event("invoice.paid", _invoice(p), created=t)
    results = await asyncio.gather(*(deliver(api.http, paid) for _ in range(5)))
    statuses = sorted(r.json()["status"] for r in results)
    assert statuses == ["duplicate"] * 4 + ["processed"], statuses
    assert (await _snapshot(user["id"]))[0] == UserStatus.SUBSCRIBED


async def test_cross_tenant_events_change_nothing(api, tenant, other_tenant):
    mine = await api.create_user(tenant)
    theirs = await api.create_user(other_tenant)
    p_mine = await _profile_for(mine["id"])
    p_theirs = await _profile_for(theirs["id"])
    before = (await _snapshot(mine["id"]), await _snapshot(theirs["id"]))
    t = int(time.time())
    evil_meta = {"tenant_id": str(other_tenant.id), "user_id": theirs["id"]}
    attempts = [
        # my customer, metadata naming their user (and their tenant)
        event("customer.subscription.updated", {**_sub(p_mine), "metadata": evil_meta}, created=t),
        # my customer, my tenant, their user id
        event("customer.subscription.updated", {**_sub(p_mine), "metadata": {"tenant_id": str(tenant.id),
                                                                            "user_id": theirs["id"]}}, created=t),
        # their user id with my tenant id in the checkout reference
        event("checkout.session.completed", {"id": "cs_x", "object": "checkout.session", "mode": "subscription",
                                             "customer": p_mine.stripe_customer_id, "subscription": None,
                                             "client_reference_id": f"{tenant.id}:{theirs['id']}", "metadata": {}},
              created=t),
        # an unknown customer naming their user
        event("customer.subscription.updated", {**_sub(p_theirs), "customer": "cus_unknown", "metadata": evil_meta},
              created=t),
        # their customer, metadata naming my tenant
        event("invoice.paid", {**_invoice(p_theirs), "metadata": {"tenant_id": str(tenant.id)}}, created=t),
    ]
    for evt in attempts:
        r = await deliver(api.http, evt)
        assert r.status_code == 200 and r.json()["status"] == "ignored", r.text
    assert (await _snapshot(mine["id"]), await _snapshot(theirs["id"])) == before
    rows = await StripeEvent.filter(event_id__in=[e["id"] for e in attempts])
    assert len(rows) == len(attempts) and all(r.status == "ignored" and r.user_id is None for r in rows)
    # Their own, properly named event touches only them.
    r = await deliver(api.http, event("customer.subscription.updated", _sub(p_theirs, pm=CARD), created=t + 1))
    assert r.json()["status"] == "processed"
    assert (await _snapshot(theirs["id"]))[0] == UserStatus.SUBSCRIBED
    assert await _snapshot(mine["id"]) == before[0]


async def test_checkout_completed_reads_subscription_and_card_from_stripe(api, tenant, stripe_sandbox, use_container):
    user = await api.create_user(tenant)
    p = await _profile_for(user["id"])
    pm = stripe_sandbox.state.create_payment_method("mastercard")
    sub = stripe_sandbox.state.create_subscription(p.stripe_customer_id, PRICE, pm["id"], {})
    completed = event("checkout.session.completed", {
        "id": "cs_test_hand", "object": "checkout.session", "mode": "subscription", "status": "complete",
        "customer": p.stripe_customer_id, "subscription": sub["id"],
        "client_reference_id": f"{tenant.id}:{user['id']}",
        "metadata": {"tenant_id": str(tenant.id), "user_id": user["id"]}})
    # Stripe unreachable while applying: 503 (Stripe retries), nothing changed; the retry applies it.
    use_container(stripe_api_base="http://127.0.0.1:1")
    before = await _snapshot(user["id"])
    r = await deliver(api.http, completed)
    assert r.status_code == 503 and r.json()["code"] == "SERVICE_UNAVAILABLE"
    assert await _snapshot(user["id"]) == before
    assert (await StripeEvent.get(event_id=completed["id"])).status == "failed"
    use_container(stripe_api_base=stripe_sandbox.url)
    r = await deliver(api.http, completed)
    assert r.json()["status"] == "processed"
    status, ends, pm_type, last4 = await _snapshot(user["id"])
    assert (status, pm_type, last4) == (UserStatus.SUBSCRIBED, "mastercard", "5555")
    assert ends == datetime.fromtimestamp(sub["current_period_end"], UTC)
    # A subscription of another customer named by a session of this one: never applied.
    other_sub = stripe_sandbox.state.create_subscription("cus_someone_else", PRICE, pm["id"], {})
    hijack = event("checkout.session.completed", {**completed["data"]["object"], "subscription": other_sub["id"]},
                   created=int(time.time()) + 5)
    assert (await deliver(api.http, hijack)).json()["status"] == "ignored"


async def test_unhandled_and_deleted_user(api, tenant):
    r = await deliver(api.http, event("customer.created", {"id": "cus_x", "object": "customer"}))
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    user = await api.create_user(tenant)
    p = await _profile_for(user["id"])
    assert (await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)).status_code == 204
    assert not await BillingProfile.filter(id=p.id).exists()
    r = await deliver(api.http, event("customer.subscription.updated", _sub(p)))
    assert r.status_code == 200 and r.json()["status"] == "ignored"


async def test_new_subscription_replaces_an_ended_one(api, tenant):
    user = await api.create_user(tenant)
    p = await _profile_for(user["id"])
    t = int(time.time()) - 100
    assert (await deliver(api.http, event("customer.subscription.created", _sub(p, sub_id="sub_old"), created=t))).json()["status"] == "processed"
    assert (await deliver(api.http, event("customer.subscription.deleted", _sub(p, sub_id="sub_old", status="canceled"), created=t + 10))).json()["status"] == "processed"
    assert (await deliver(api.http, event("customer.subscription.created", _sub(p, sub_id="sub_new"), created=t + 20))).json()["status"] == "processed"
    assert (await _snapshot(user["id"]))[0] == UserStatus.SUBSCRIBED
    # A late event of the old subscription does not end the new one.
    late = event("customer.subscription.updated", _sub(p, sub_id="sub_old", status="canceled"), created=t + 30)
    assert (await deliver(api.http, late)).json()["status"] == "ignored"
    assert (await _snapshot(user["id"]))[0] == UserStatus.SUBSCRIBED
