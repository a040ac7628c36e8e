"""A small in-memory Stripe look-alike: customers, checkout sessions, subscriptions, payment methods,
a hosted checkout page, signed webhooks and a few test controls.

State lives on `app.state.stripe_sandbox` (a `SandboxState`).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

API_VERSION = "2024-06-20"
PERIOD_SECONDS = 30 * 24 * 3600
CARDS = {
    "visa": {"brand": "visa", "last4": "4242"},
    "mastercard": {"brand": "mastercard", "last4": "5555"},
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe-Signature header value for `payload` (same scheme as Stripe: HMAC-SHA256 of "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode Stripe-style bracketed form keys (`metadata[k]`, `line_items[0][price]`) into nested dicts/lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(key[len(head):])]
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def stripe_error(status: int, message: str, *, code: str | None = None, param: str | None = None,
                 type_: str = "invalid_request_error") -> Response:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return json_response({"error": error}, status)


def missing(kind: str, obj_id: str) -> Response:
    return stripe_error(404, f"No such {kind}: '{obj_id}'", code="resource_missing", param="id")


@dataclass
class SandboxState:
    webhook_url: str | None = None
    webhook_secret: str = "whsec_sandbox"
    base_url: str | None = None
    customers: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    subscriptions: dict[str, dict] = field(default_factory=dict)
    payment_methods: dict[str, dict] = field(default_factory=dict)
    invoices: dict[str, dict] = field(default_factory=dict)
    line_items: dict[str, list[dict]] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    idempotency: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    delivery_timeout: float = 5.0

    def make_event(self, type_: str, obj: dict) -> dict:
        return {
            "id": new_id("evt"),
            "object": "event",
            "type": type_,
            "created": int(time.time()),
            "data": {"object": dict(obj)},
            "api_version": API_VERSION,
            "livemode": False,
        }

    async def emit(self, type_: str, obj: dict) -> dict:
        """Record an event and deliver it (signed) to the webhook URL, if any. Failures are logged."""
        event = self.make_event(type_, obj)
        self.events.append(event)
        if self.webhook_url:
            payload = orjson.dumps(event).decode()
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(payload, self.webhook_secret),
            }
            import aiohttp  # by the first webhook delivery, not at the embedding server's start

            try:
                timeout = aiohttp.ClientTimeout(total=self.delivery_timeout)
                async with aiohttp.ClientSession(timeout=timeout) as client:
                    async with client.post(self.webhook_url, data=payload.encode(), headers=headers) as resp:
                        status = resp.status
                if status >= 300:
                    log.warning("stripe sandbox: webhook %s got HTTP %s", type_, status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("stripe sandbox: webhook %s delivery failed: %s", type_, exc or type(exc).__name__)
        return event

    def create_payment_method(self, card: str = "visa") -> dict:
        info = CARDS.get(card, CARDS["visa"])
        pm = {
            "id": new_id("pm"),
            "object": "payment_method",
            "type": "card",
            "card": {**info, "exp_month": 12, "exp_year": time.gmtime().tm_year + 3},
            "created": int(time.time()),
            "livemode": False,
        }
        self.payment_methods[pm["id"]] = pm
        return pm

    def create_subscription(self, customer: str | None, price: str | None, pm_id: str | None,
                            metadata: dict) -> dict:
        now = int(time.time())
        sub_id = new_id("sub")
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "current_period_start": now,
            "current_period_end": now + PERIOD_SECONDS,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "ended_at": None,
            "default_payment_method": pm_id,
            "items": {
                "object": "list",
                "data": [{"id": new_id("si"), "object": "subscription_item", "price": {"id": price, "object": "price"},
                          "quantity": 1, "subscription": sub_id}],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "metadata": dict(metadata),
            "created": now,
            "livemode": False,
        }
        self.subscriptions[sub_id] = sub
        return sub

    def create_invoice(self, sub: dict, status: str) -> dict:
        inv = {
            "id": new_id("in"),
            "object": "invoice",
            "customer": sub["customer"],
            "subscription": sub["id"],
            "status": status,
            "period_start": sub["current_period_start"],
            "period_end": sub["current_period_end"],
            "created": int(time.time()),
            "livemode": False,
        }
        self.invoices[inv["id"]] = inv
        return inv


def _state(request: Request) -> SandboxState:
    return request.app.state.stripe_sandbox


def _base_url(request: Request) -> str:
    configured = _state(request).base_url
    return (configured or str(request.base_url)).rstrip("/")


def _authorized(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    return scheme.lower() == "bearer" and key.strip().startswith("sk_")


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return decode_form(list(form.multi_items()))


def api(handler):
    """Wrap a /v1 handler: bearer auth, idempotency for POSTs."""

    async def wrapped(request: Request) -> Response:
        if not _authorized(request):
            return stripe_error(
                401,
                "Invalid API Key provided. Send your secret key as 'Authorization: Bearer sk_...'.",
            )
        key = request.headers.get("idempotency-key")
        state = _state(request)
        if request.method == "POST" and key:
            cached = state.idempotency.get((request.url.path, key))
            if cached is not None:
                status, body = cached
                resp = Response(body, status_code=status, media_type="application/json")
                resp.headers["Idempotent-Replayed"] = "true"
                return resp
        resp = await handler(request)
        if request.method == "POST" and key and resp.status_code < 500:
            state.idempotency[(request.url.path, key)] = (resp.status_code, bytes(resp.body))
        return resp

    return wrapped


# --- /v1 API -----------------------------------------------------------------------------------------


@api
async def create_customer(request: Request) -> Response:
    params = await _form(request)
    customer = {
        "id": new_id("cus"),
        "object": "customer",
        "email": params.get("email"),
        "name": params.get("name"),
        "metadata": params.get("metadata") or {},
        "created": int(time.time()),
        "livemode": False,
    }
    _state(request).customers[customer["id"]] = customer
    return json_response(customer)


@api
async def get_customer(request: Request) -> Response:
    obj_id = request.path_params["id"]
    customer = _state(request).customers.get(obj_id)
    return json_response(customer) if customer else missing("customer", obj_id)


@api
async def create_session(request: Request) -> Response:
    state = _state(request)
    params = await _form(request)
    customer = params.get("customer")
    if customer and customer not in state.customers:
        return stripe_error(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
    line_items = params.get("line_items") or []
    if not isinstance(line_items, list) or not line_items or not line_items[0].get("price"):
        return stripe_error(400, "Missing required param: line_items[0][price].", code="parameter_missing",
                            param="line_items")
    session_id = new_id("cs_test")
    session = {
        "id": session_id,
        "object": "checkout.session",
        "url": f"{_base_url(request)}/checkout/{session_id}",
        "mode": params.get("mode", "payment"),
        "customer": customer,
        "client_reference_id": params.get("client_reference_id"),
        "metadata": params.get("metadata") or {},
        "success_url": params.get("success_url"),
        "cancel_url": params.get("cancel_url"),
        "status": "open",
        "payment_status": "unpaid",
        "subscription": None,
        "created": int(time.time()),
        "livemode": False,
    }
    state.sessions[session_id] = session
    # Line items are kept off the public object (Stripe only expands them on request).
    session_items = [{"price": li.get("price"), "quantity": int(li.get("quantity") or 1)} for li in line_items]
    state.line_items[session_id] = session_items
    return json_response(session)


@api
async def get_session(request: Request) -> Response:
    obj_id = request.path_params["id"]
    session = _state(request).sessions.get(obj_id)
    return json_response(session) if session else missing("checkout.session", obj_id)


@api
async def get_subscription(request: Request) -> Response:
    obj_id = request.path_params["id"]
    sub = _state(request).subscriptions.get(obj_id)
    return json_response(sub) if sub else missing("subscription", obj_id)


@api
async def get_payment_method(request: Request) -> Response:
    obj_id = request.path_params["id"]
    pm = _state(request).payment_methods.get(obj_id)
    return json_response(pm) if pm else missing("payment_method", obj_id)


# --- hosted checkout page ----------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Sandbox checkout</title></head>
<body>
<h1>Stripe sandbox checkout</h1>
<p>Session <code>{id}</code> &middot; price <code>{price}</code> &middot; status <b>{status}</b></p>
<form method="post" action="{prefix}/checkout/{id}/pay">
  <label>Card <select name="card"><option value="visa">Visa 4242</option>
  <option value="mastercard">Mastercard 5555</option></select></label>
  <button type="submit">Pay</button>
</form>
<form method="post" action="{prefix}/checkout/{id}/cancel"><button type="submit">Cancel</button></form>
</body></html>
"""


async def checkout_page(request: Request) -> Response:
    state = _state(request)
    session = state.sessions.get(request.path_params["id"])
    if session is None:
        return HTMLResponse("<h1>Checkout session not found</h1>", status_code=404)
    items = state.line_items.get(session["id"]) or [{}]
    return HTMLResponse(_PAGE.format(
        prefix=html.escape(request.scope.get("root_path", "").rstrip("/")),
        id=html.escape(session["id"]),
        price=html.escape(str(items[0].get("price"))),
        status=html.escape(session["status"]),
    ))


async def checkout_pay(request: Request) -> Response:
    state = _state(request)
    session = state.sessions.get(request.path_params["id"])
    if session is None:
        return HTMLResponse("<h1>Checkout session not found</h1>", status_code=404)
    if session["status"] != "open":
        return HTMLResponse("<h1>Checkout session is no longer open</h1>", status_code=409)
    card = request.query_params.get("card")
    if card is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        card = (await request.form()).get("card")
    pm = state.create_payment_method(str(card or "visa"))
    items = state.line_items.get(session["id"]) or [{}]
    sub = state.create_subscription(session["customer"], items[0].get("price"), pm["id"], session["metadata"])
    session.update(status="complete", payment_status="paid", subscription=sub["id"])
    invoice = state.create_invoice(sub, "paid")
    await state.emit("checkout.session.completed", session)
    await state.emit("customer.subscription.created", sub)
    await state.emit("invoice.paid", invoice)
    target = (session.get("success_url") or "/").replace("{CHECKOUT_SESSION_ID}", session["id"])
    return RedirectResponse(target, status_code=303)


async def checkout_cancel(request: Request) -> Response:
    session = _state(request).sessions.get(request.path_params["id"])
    if session is None:
        return HTMLResponse("<h1>Checkout session not found</h1>", status_code=404)
    return RedirectResponse(session.get("cancel_url") or "/", status_code=303)


async def return_page(request: Request) -> Response:
    """Where the embedded demo sends the browser back to (a real tenant uses its own pages)."""
    outcome = "complete" if request.path_params["outcome"] == "success" else "cancelled"
    return HTMLResponse(f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Checkout {outcome}</title>"
                        f"</head><body><h1>Checkout {outcome}</h1><p>You can close this tab.</p></body></html>")


# --- test controls -----------------------------------------------------------------------------------


async def control_fail_payment(request: Request) -> Response:
    state = _state(request)
    obj_id = request.path_params["id"]
    sub = state.subscriptions.get(obj_id)
    if sub is None:
        return missing("subscription", obj_id)
    sub["status"] = "past_due"
    invoice = state.create_invoice(sub, "open")
    event = await state.emit("invoice.payment_failed", invoice)
    return json_response({"subscription": sub, "event": event})


async def control_cancel(request: Request) -> Response:
    """Cancel now (`customer.subscription.deleted`), or with `?at_period_end=true` schedule the end
    (`cancel_at_period_end`, `customer.subscription.updated`; `end_period` then ends it)."""
    state = _state(request)
    obj_id = request.path_params["id"]
    sub = state.subscriptions.get(obj_id)
    if sub is None:
        return missing("subscription", obj_id)
    now = int(time.time())
    if request.query_params.get("at_period_end") in ("1", "true"):
        sub.update(cancel_at_period_end=True, canceled_at=now)
        event = await state.emit("customer.subscription.updated", sub)
    else:
        sub.update(status="canceled", canceled_at=now, ended_at=now)
        event = await state.emit("customer.subscription.deleted", sub)
    return json_response({"subscription": sub, "event": event})


async def control_end_period(request: Request) -> Response:
    """Jump to the end of the current period: a subscription set to cancel then ends
    (`customer.subscription.deleted`); any other renews (`invoice.paid`, `customer.subscription.updated`)."""
    state = _state(request)
    obj_id = request.path_params["id"]
    sub = state.subscriptions.get(obj_id)
    if sub is None:
        return missing("subscription", obj_id)
    if sub.get("cancel_at_period_end"):
        sub.update(status="canceled", ended_at=sub["current_period_end"])
        event = await state.emit("customer.subscription.deleted", sub)
        return json_response({"subscription": sub, "events": [event]})
    start = sub["current_period_end"]
    sub.update(status="active", current_period_start=start, current_period_end=start + PERIOD_SECONDS)
    invoice = state.create_invoice(sub, "paid")
    events = [await state.emit("invoice.paid", invoice), await state.emit("customer.subscription.updated", sub)]
    return json_response({"subscription": sub, "events": events})


async def control_events(request: Request) -> Response:
    events = _state(request).events
    return json_response({"object": "list", "data": events, "has_more": False})


def create_app(webhook_url: str | None = None, webhook_secret: str = "whsec_sandbox",
               base_url: str | None = None) -> Starlette:
    """The sandbox app. `base_url` fixes checkout URLs; by default they follow the request's host."""
    routes = [
        Route("/v1/customers", create_customer, methods=["POST"]),
        Route("/v1/customers/{id}", get_customer, methods=["GET"]),
        Route("/v1/checkout/sessions", create_session, methods=["POST"]),
        Route("/v1/checkout/sessions/{id}", get_session, methods=["GET"]),
        Route("/v1/subscriptions/{id}", get_subscription, methods=["GET"]),
        Route("/v1/payment_methods/{id}", get_payment_method, methods=["GET"]),
        Route("/checkout/{id}", checkout_page, methods=["GET"]),
        Route("/checkout/{id}/pay", checkout_pay, methods=["POST"]),
        Route("/checkout/{id}/cancel", checkout_cancel, methods=["POST"]),
        Route("/return/{outcome}", return_page, methods=["GET"]),
        Route("/_sandbox/subscriptions/{id}/fail_payment", control_fail_payment, methods=["POST"]),
        Route("/_sandbox/subscriptions/{id}/cancel", control_cancel, methods=["POST"]),
        Route("/_sandbox/subscriptions/{id}/end_period", control_end_period, methods=["POST"]),
        Route("/_sandbox/events", control_events, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.stripe_sandbox = SandboxState(webhook_url=webhook_url, webhook_secret=webhook_secret,
                                            base_url=base_url)
    return app
