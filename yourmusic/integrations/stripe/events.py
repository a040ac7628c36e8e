"""Stripe webhook events: signature first, then a typed check of the shape billing reads.

A validly signed body can still be unusable: not UTF-8, not JSON, not an object, NUL characters
(PostgreSQL cannot store them), wrong nested types, timestamps out of any date range. Each is a
`MalformedEvent` naming why (and the event id when there is one), so the webhook answers a 400 that
says why instead of failing later with a 500, or a 503 Stripe would retry for days.

Only the fields billing reads are checked (Stripe adds fields all the time; the rest passes through).
Imports nothing from the transports.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, ValidationError

MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z: every epoch second a datetime can hold
MAX_NESTING = 64


class BadSignature(Exception):
    """No `Stripe-Signature`, or one that does not sign this body with the secret in the tolerance."""


class MalformedEvent(Exception):
    """A correctly signed body that is not a usable event; the message says why (safe to answer)."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


Timestamp = Annotated[StrictInt, Field(ge=0, le=MAX_TIMESTAMP)]
StripeId = Annotated[StrictStr, Field(min_length=1, max_length=255)]
Metadata = dict[Annotated[StrictStr, Field(max_length=40)], Annotated[StrictStr, Field(max_length=500)]]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255


def _reference(value: Any) -> Any:
    """A reference to another Stripe object: its id, or the expanded object (whose `id` is read)."""
    if value is None or _is_id(value) or (isinstance(value, dict) and _is_id(value.get("id"))):
        return value
    raise ValueError("must be an id (a string of 1 to 255 characters) or an object with such an id")


class _Card(_Shape):
    brand: Annotated[StrictStr, Field(max_length=255)] | None = None
    last4: Annotated[StrictStr, Field(max_length=255)] | None = None


class _PaymentMethod(_Shape):
    id: StripeId
    card: _Card | None = None


def _payment_method(value: Any) -> Any:
    """A PaymentMethod id, or the expanded PaymentMethod (its card's brand and last four are read)."""
    if value is None or _is_id(value):
        return value
    if isinstance(value, dict):
        try:
            _PaymentMethod.model_validate(value)
            return value
        except ValidationError as exc:
            raise ValueError(f"the expanded payment method: {_why(exc, '')}") from None
    raise ValueError("must be an id or an expanded payment method")


Ref = Annotated[Any, BeforeValidator(_reference)]
PaymentMethodRef = Annotated[Any, BeforeValidator(_payment_method)]


class _Period(_Shape):
    end: Timestamp | None = None


class _Line(_Shape):
    period: _Period | None = None


class _Lines(_Shape):
    data: list[_Line] = []


class _Item(_Shape):
    current_period_end: Timestamp | None = None


class _Items(_Shape):
    data: list[_Item] = []


class Subscription(_Shape):
    id: StripeId
    customer: Ref = None
    status: Annotated[StrictStr, Field(max_length=64)] | None = None
    current_period_end: Timestamp | None = None
    ended_at: Timestamp | None = None
    items: _Items | None = None
    metadata: Metadata | None = None
    default_payment_method: PaymentMethodRef = None


class _SubscriptionDetails(_Shape):
    subscription: Ref = None
    metadata: Metadata | None = None


class _InvoiceParent(_Shape):
    subscription_details: _SubscriptionDetails | None = None


class Invoice(_Shape):
    customer: Ref = None
    subscription: Ref = None
    parent: _InvoiceParent | None = None
    lines: _Lines | None = None
    period_start: Timestamp | None = None
    period_end: Timestamp | None = None
    metadata: Metadata | None = None


class CheckoutSession(_Shape):
    customer: Ref = None
    subscription: Ref = None
    mode: Annotated[StrictStr, Field(max_length=64)] | None = None
    client_reference_id: Annotated[StrictStr, Field(max_length=255)] | None = None
    metadata: Metadata | None = None


class _Data(_Shape):
    object: dict[str, Any]


class Envelope(_Shape):
    id: StripeId
    type: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    created: Timestamp
    data: _Data


# What billing reads per event type; any other type is stored and ignored after the envelope check.
OBJECTS: dict[str, type[_Shape]] = {
    "checkout.session.completed": CheckoutSession,
    "customer.subscription.created": Subscription,
    "customer.subscription.updated": Subscription,
    "customer.subscription.deleted": Subscription,
    "invoice.paid": Invoice,
    "invoice.payment_failed": Invoice,
}


def verify_signature(payload: bytes, signature: str | None, secret: str, tolerance: int) -> None:
    """HMAC-SHA256 over `{t}.{payload}` with the endpoint secret, within `tolerance` seconds (Stripe's SDK)."""
    if not signature:
        raise BadSignature("The Stripe-Signature header is missing.")
    import stripe  # on first use: importing the SDK is a large part of a cold start

    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8", "surrogateescape"), signature, secret,
                                              tolerance)
    except (stripe.SignatureVerificationError, ValueError, UnicodeError):
        raise BadSignature("The webhook signature is missing or invalid.") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _first_nul(value: Any, path: str, depth: int = 0) -> str | None:
    """The path of the first string (key or value) holding a NUL character, if any."""
    if depth > MAX_NESTING:
        raise MalformedEvent(f"The event nests deeper than {MAX_NESTING} levels.")
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if "\x00" in key:
                return where.replace("\x00", "\\u0000")
            found = _first_nul(item, where, depth + 1)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_nul(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def _why(exc: ValidationError, prefix: str) -> str:
    """`where: what`, from the first error (no input echoed)."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_event(payload: bytes) -> dict[str, Any]:
    """The signed body as an event dict whose every field billing reads has the type it expects.

    Raises MalformedEvent (with the reason, and the event id once it is known) otherwise.
    """
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEvent("The event is not UTF-8.") from None
    try:
        event = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedEvent(f"The event nests deeper than {MAX_NESTING} levels.") from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, integers past Python's digit limit
        raise MalformedEvent(f"The event is not valid JSON: {str(exc).split(':')[0]}.") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"The event must be a JSON object, not {type(event).__name__ if event is not None else 'null'}.")
    event_id = event.get("id") if isinstance(event.get("id"), str) and len(event["id"]) <= 255 else None
    try:
        nul = _first_nul(event, "")
        if nul:
            raise MalformedEvent(f"{nul}: NUL characters are not allowed.", event_id)
        envelope = Envelope.model_validate(event)
        shape = OBJECTS.get(envelope.type)
        if shape is not None:
            try:
                shape.model_validate(envelope.data.object)
            except ValidationError as exc:
                raise MalformedEvent(_why(exc, "data.object"), event_id) from None
    except ValidationError as exc:
        raise MalformedEvent(_why(exc, ""), event_id) from None
    except MalformedEvent as exc:
        exc.event_id = event_id
        raise
    return event


def parse_subscription(obj: Any) -> dict[str, Any]:
    """A subscription Stripe's API answered, checked like a webhook's (MalformedEvent otherwise)."""
    try:
        Subscription.model_validate(obj)
    except ValidationError as exc:
        raise MalformedEvent(_why(exc, "subscription")) from None
    return obj
