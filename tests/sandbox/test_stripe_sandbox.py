"""Stripe sandbox: driven over real HTTP by the official stripe SDK; webhooks received by a second server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
import stripe

from tests.servers import ThreadedServer, start_server
from tests.stripe_helpers import WebhookReceiver
from yourmusic.integrations.stripe.sandbox import SandboxState, create_app, decode_form, sign_payload

# stripe.HTTPXClient posts form bodies with httpx's deprecated `data=<bytes>`; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

SECRET = "whsec_test_secret"
PRICE = "price_premium_monthly"


class Receiver(WebhookReceiver):
    """The shared receiver, plus verification of each delivery with the SDK."""

    def events(self) -> list[stripe.Event]:
        with self.lock:
            items = list(self.received)
        return [stripe.Webhook.construct_event(body.decode(), headers["stripe-signature"], SECRET)
                for body, headers in items]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, ThreadedServer]]:
    recv = Receiver("/webhooks/stripe")
    server = start_server(recv.app)
    yield recv, server
    server.stop()


@pytest.fixture(scope="module")
def sandbox(receiver) -> Iterator[ThreadedServer]:
    _, recv_server = receiver
    server = start_server(create_app(webhook_url=f"{recv_server.url}/webhooks/stripe", webhook_secret=SECRET))
    yield server
    server.stop()


@pytest.fixture
def hooks(receiver) -> Receiver:
    recv, _ = receiver
    recv.clear()
    return recv


@pytest.fixture
def state(sandbox) -> SandboxState:
    return sandbox.app.state.stripe_sandbox


@pytest.fixture
async def client(sandbox) -> AsyncIterator[stripe.StripeClient]:
    http_client = stripe.HTTPXClient()
    yield stripe.StripeClient("sk_test_x", base_addresses={"api": sandbox.url}, http_client=http_client,
                              max_network_retries=0)
    await http_client.close_async()


@pytest.fixture
async def web(sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, follow_redirects=False) as c:
        yield c


async def make_session(client: stripe.StripeClient, **extra) -> tuple[stripe.Customer, stripe.checkout.Session]:
    customer = await client.v1.customers.create_async(
        params={"email": "ana@example.com", "name": "Ana", "metadata": {"user_id": "u1"}})
    session = await client.v1.checkout.sessions.create_async(params={
        "mode": "subscription",
        "customer": customer.id,
        "line_items": [{"price": PRICE, "quantity": 1}],
        "success_url": "https://app.example/billing/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/billing/cancel",
        "client_reference_id": "tenant-1:u1",
        "metadata": {"plan": "premium"},
    }, **extra)
    return customer, session


async def pay(web: httpx.AsyncClient, session_id: str, **form) -> httpx.Response:
    return await web.post(f"/checkout/{session_id}/pay", data=form or None)


# --- unit-ish -----------------------------------------------------------------------------------------


def test_decode_form_nested_keys():
    assert decode_form([("email", "a@b.c"), ("metadata[k]", "v"), ("line_items[0][price]", "p"),
                        ("line_items[0][quantity]", "2"), ("line_items[1][price]", "q")]) == {
        "email": "a@b.c", "metadata": {"k": "v"},
        "line_items": [{"price": "p", "quantity": "2"}, {"price": "q"}],
    }


def test_sign_payload_matches_sdk_verification():
    payload = orjson.dumps({"id": "evt_1", "object": "event", "type": "x", "data": {"object": {}}}).decode()
    header = sign_payload(payload, SECRET)
    assert header.startswith("t=") and ",v1=" in header
    assert stripe.Webhook.construct_event(payload, header, SECRET).id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")


# --- API via the SDK ----------------------------------------------------------------------------------


async def test_customer_create_and_retrieve(client):
    customer = await client.v1.customers.create_async(
        params={"email": "ana@example.com", "name": "Ana", "metadata": {"user_id": "u1"}})
    assert customer.id.startswith("cus_") and customer.object == "customer"
    assert (customer.email, customer.name, customer.metadata.to_dict()) == ("ana@example.com", "Ana", {"user_id": "u1"})
    assert isinstance(customer.created, int)
    again = await client.v1.customers.retrieve_async(customer.id)
    assert again.to_dict() == customer.to_dict()


async def test_checkout_session_shape(client, sandbox):
    customer, session = await make_session(client)
    assert session.id.startswith("cs_") and session.object == "checkout.session"
    assert session.url == f"{sandbox.url}/checkout/{session.id}"
    assert session.mode == "subscription" and session.customer == customer.id
    assert session.client_reference_id == "tenant-1:u1" and session.metadata.to_dict() == {"plan": "premium"}
    assert (session.status, session.payment_status, session.subscription) == ("open", "unpaid", None)
    fetched = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert fetched.id == session.id and fetched.status == "open"


async def test_idempotency_key_replays_same_object(client, state):
    before = len(state.sessions)
    opts = {"idempotency_key": "checkout-u1-premium"}
    _, first = await make_session(client, options=opts)
    second = await client.v1.checkout.sessions.create_async(params={
        "mode": "subscription", "customer": first.customer, "line_items": [{"price": PRICE, "quantity": 1}],
        "success_url": "https://x/s", "cancel_url": "https://x/c",
    }, options=opts)
    assert second.id == first.id and second.to_dict() == first.to_dict()
    assert len(state.sessions) == before + 1
    # Same key on a different path is a different request.
    c1 = await client.v1.customers.create_async(params={"email": "a@x"}, options=opts)
    c2 = await client.v1.customers.create_async(params={"email": "b@x"}, options={"idempotency_key": "other"})
    assert c1.id.startswith("cus_") and c1.id != c2.id


async def test_bad_api_key_is_401(sandbox):
    http_client = stripe.HTTPXClient()
    bad = stripe.StripeClient("pk_test_public", base_addresses={"api": sandbox.url}, http_client=http_client,
                              max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as exc:
        await bad.v1.customers.create_async(params={"email": "a@x"})
    assert exc.value.http_status == 401
    await http_client.close_async()
    async with httpx.AsyncClient(base_url=sandbox.url) as raw:
        resp = await raw.get("/v1/customers/cus_x")
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "invalid_request_error" and resp.json()["error"]["message"]


@pytest.mark.parametrize("resource, obj_id", [
    ("customers", "cus_nope"), ("subscriptions", "sub_nope"), ("payment_methods", "pm_nope"),
])
async def test_unknown_ids_are_404_resource_missing(client, resource, obj_id):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        await getattr(client.v1, resource).retrieve_async(obj_id)
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing"


async def test_unknown_session_is_404(client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        await client.v1.checkout.sessions.retrieve_async("cs_nope")
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing"


# --- hosted checkout + webhooks -----------------------------------------------------------------------


async def test_checkout_page_has_pay_and_cancel(client, web):
    _, session = await make_session(client)
    resp = await web.get(f"/checkout/{session.id}")
    assert resp.status_code == 200 and "text/html" in resp.headers["content-type"]
    assert f'action="/checkout/{session.id}/pay"' in resp.text and ">Pay<" in resp.text
    assert f'action="/checkout/{session.id}/cancel"' in resp.text and ">Cancel<" in resp.text
    assert (await web.get("/checkout/cs_nope")).status_code == 404


async def test_pay_creates_subscription_and_sends_signed_webhooks(client, web, hooks, state):
    customer, session = await make_session(client)
    sent_before = len(state.events)
    resp = await pay(web, session.id)
    assert resp.status_code == 303
    assert resp.headers["location"] == f"https://app.example/billing/success?session_id={session.id}"

    events = hooks.events()  # every one verified with the SDK
    assert [e.type for e in events] == ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]
    for e in events:
        assert e.id.startswith("evt_") and e.object == "event" and e.api_version == "2024-06-20"
        assert e.livemode is False and isinstance(e.created, int)

    completed = events[0].data.object
    assert completed.id == session.id and completed.status == "complete" and completed.payment_status == "paid"
    assert completed.client_reference_id == "tenant-1:u1" and completed.metadata.to_dict() == {"plan": "premium"}
    sub_id = completed.subscription
    assert sub_id.startswith("sub_")
    assert events[1].data.object.id == sub_id
    invoice = events[2].data.object
    assert invoice.id.startswith("in_") and invoice.object == "invoice" and invoice.status == "paid"
    assert (invoice.customer, invoice.subscription) == (customer.id, sub_id)

    sub = await client.v1.subscriptions.retrieve_async(sub_id)
    assert sub.object == "subscription" and sub.customer == customer.id and sub.status == "active"
    assert sub.current_period_end - sub.current_period_start == 30 * 24 * 3600
    assert sub.cancel_at_period_end is False
    assert sub["items"].object == "list" and sub["items"].data[0].price.id == PRICE
    assert invoice.period_end == sub.current_period_end

    pm = await client.v1.payment_methods.retrieve_async(sub.default_payment_method)
    assert pm.id.startswith("pm_") and pm.object == "payment_method" and pm.type == "card"
    assert (pm.card.brand, pm.card.last4) == ("visa", "4242")
    assert isinstance(pm.card.exp_month, int) and isinstance(pm.card.exp_year, int)

    fetched = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert (fetched.status, fetched.payment_status, fetched.subscription) == ("complete", "paid", sub_id)

    async with httpx.AsyncClient(base_url=web.base_url) as raw:
        log = (await raw.get("/_sandbox/events")).json()["data"]
    assert [e["id"] for e in log[sent_before:]] == [e.id for e in events]

    # Paying twice is refused; nothing more is sent.
    assert (await pay(web, session.id)).status_code == 409
    assert len(hooks.events()) == 3


async def test_pay_with_mastercard(client, web, hooks):
    _, session = await make_session(client)
    assert (await pay(web, session.id, card="mastercard")).status_code == 303
    sub = await client.v1.subscriptions.retrieve_async(hooks.events()[0].data.object.subscription)
    pm = await client.v1.payment_methods.retrieve_async(sub.default_payment_method)
    assert (pm.card.brand, pm.card.last4) == ("mastercard", "5555")


async def test_cancel_redirects_to_cancel_url(client, web, hooks):
    _, session = await make_session(client)
    resp = await web.post(f"/checkout/{session.id}/cancel")
    assert resp.status_code == 303 and resp.headers["location"] == "https://app.example/billing/cancel"
    assert hooks.events() == []
    assert (await client.v1.checkout.sessions.retrieve_async(session.id)).status == "open"


async def test_fail_payment_and_cancel_controls(client, web, hooks):
    customer, session = await make_session(client)
    await pay(web, session.id)
    sub_id = hooks.events()[0].data.object.subscription
    hooks.clear()

    resp = await web.post(f"/_sandbox/subscriptions/{sub_id}/fail_payment")
    assert resp.status_code == 200
    (failed,) = hooks.events()
    assert failed.type == "invoice.payment_failed"
    assert failed.data.object.subscription == sub_id and failed.data.object.customer == customer.id
    assert (await client.v1.subscriptions.retrieve_async(sub_id)).status == "past_due"

    resp = await web.post(f"/_sandbox/subscriptions/{sub_id}/cancel")
    assert resp.status_code == 200
    events = hooks.events()
    assert [e.type for e in events] == ["invoice.payment_failed", "customer.subscription.deleted"]
    assert events[1].data.object.id == sub_id and events[1].data.object.status == "canceled"
    assert (await client.v1.subscriptions.retrieve_async(sub_id)).status == "canceled"

    log = (await web.get("/_sandbox/events")).json()["data"]
    assert [e["type"] for e in log[-2:]] == ["invoice.payment_failed", "customer.subscription.deleted"]
    assert (await web.post("/_sandbox/subscriptions/sub_nope/cancel")).status_code == 404


async def test_webhook_delivery_failure_is_logged_not_raised(caplog):
    caplog.set_level(logging.WARNING, logger="yourmusic.integrations.stripe.sandbox")
    server = start_server(create_app(webhook_url="http://127.0.0.1:1/nowhere", webhook_secret=SECRET))
    try:
        http_client = stripe.HTTPXClient()
        client = stripe.StripeClient("sk_test_y", base_addresses={"api": server.url}, http_client=http_client,
                                     max_network_retries=0)
        _, session = await make_session(client)
        await http_client.close_async()
        async with httpx.AsyncClient(base_url=server.url) as web:
            resp = await pay(web, session.id)
        assert resp.status_code == 303
        types = [e["type"] for e in server.app.state.stripe_sandbox.events]
        assert types == ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]
        assert sum("delivery failed" in r.getMessage() for r in caplog.records) == 3
    finally:
        server.stop()
