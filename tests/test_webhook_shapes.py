"""Validly signed but malformed Stripe webhooks (issue 15 class 5): each shape is a 400 MALFORMED_EVENT
that says why, logged with the event id, with nothing stored; only a real dependency outage is a 503.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import time
import uuid
from typing import Any

import pytest

from tests.dbstate import row_counts
from tests.stripe_helpers import event, signed
from yourmusic.db import database_unavailable

NOW = int(time.time())
BASES: dict[str, dict[str, Any]] = {
    "customer.subscription.updated": {
        "id": "sub_1", "object": "subscription", "customer": "cus_unknown", "status": "active",
        "current_period_end": NOW + 3600, "ended_at": None, "metadata": {"tenant_id": "t"},
        "items": {"data": [{"current_period_end": NOW + 3600}]}, "default_payment_method": "pm_1"},
    "invoice.paid": {
        "id": "in_1", "object": "invoice", "customer": {"id": "cus_unknown"}, "subscription": "sub_1",
        "period_start": NOW, "period_end": NOW + 10, "metadata": {},
        "lines": {"data": [{"period": {"end": NOW + 3600}}]},
        "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"user_id": "u"}}}},
    "checkout.session.completed": {
        "id": "cs_1", "object": "checkout.session", "customer": "cus_unknown", "subscription": None,
        "mode": "subscription", "client_reference_id": "a:b", "metadata": {}},
}

# (event type, path to set, value, what the answer names)
NESTED = [
    ("customer.subscription.updated", "customer", 5, "data.object.customer"),
    ("customer.subscription.updated", "customer", ["cus_1"], "data.object.customer"),
    ("customer.subscription.updated", "customer", {"id": 5}, "data.object.customer"),
    ("customer.subscription.updated", "status", 1, "data.object.status"),
    ("customer.subscription.updated", "current_period_end", "soon", "data.object.current_period_end"),
    ("customer.subscription.updated", "current_period_end", 1.5, "data.object.current_period_end"),
    ("customer.subscription.updated", "current_period_end", True, "data.object.current_period_end"),
    ("customer.subscription.updated", "current_period_end", 10**18, "data.object.current_period_end"),
    ("customer.subscription.updated", "current_period_end", -1, "data.object.current_period_end"),
    ("customer.subscription.updated", "ended_at", 10**30, "data.object.ended_at"),
    ("customer.subscription.updated", "metadata", ["tenant"], "data.object.metadata"),
    ("customer.subscription.updated", "metadata", {"tenant_id": 7}, "data.object.metadata.tenant_id"),
    ("customer.subscription.updated", "items", "all", "data.object.items"),
    ("customer.subscription.updated", "items", {"data": "x"}, "data.object.items.data"),
    ("customer.subscription.updated", "items", {"data": [7]}, "data.object.items.data.0"),
    ("customer.subscription.updated", "items", {"data": [{"current_period_end": 2**64}]},
     "data.object.items.data.0.current_period_end"),
    ("customer.subscription.updated", "default_payment_method", 7, "data.object.default_payment_method"),
    ("customer.subscription.updated", "id", None, "data.object.id"),
    ("invoice.paid", "lines", "x", "data.object.lines"),
    ("invoice.paid", "lines", {"data": [1]}, "data.object.lines.data.0"),
    ("invoice.paid", "lines", {"data": [{"period": {"end": 1e20}}]}, "data.object.lines.data.0.period.end"),
    ("invoice.paid", "lines", {"data": [{"period": []}]}, "data.object.lines.data.0.period"),
    ("invoice.paid", "period_end", -5, "data.object.period_end"),
    ("invoice.paid", "parent", "x", "data.object.parent"),
    ("invoice.paid", "parent", {"subscription_details": {"metadata": "x"}},
     "data.object.parent.subscription_details.metadata"),
    ("invoice.paid", "subscription", {"object": "subscription"}, "data.object.subscription"),
    ("checkout.session.completed", "mode", 1, "data.object.mode"),
    ("checkout.session.completed", "client_reference_id", 5, "data.object.client_reference_id"),
    ("checkout.session.completed", "metadata", None, None),  # null metadata is fine: not malformed
]


def _with(evt: dict, path: str, value: Any) -> dict:
    out = copy.deepcopy(evt)
    out["data"]["object"][path] = value
    return out


def _event(type_: str = "customer.subscription.updated") -> dict:
    return event(type_, copy.deepcopy(BASES[type_]), event_id=f"evt_{uuid.uuid4().hex[:20]}")


def _json(evt: dict) -> str:
    """The event as JSON text (stdlib json: integers past 64 bits too)."""
    return json.dumps(evt)


async def _post(http, raw: bytes | str, headers: dict | None = None):
    raw_bytes = raw.encode() if isinstance(raw, str) else raw
    h = headers or signed(raw if isinstance(raw, str) else raw.decode())[1]
    return await http.post("/api/webhooks/stripe", content=raw_bytes, headers={"Content-Type": "application/json", **h})


@pytest.mark.parametrize("type_", sorted(BASES))
async def test_the_bases_are_valid(api, type_):
    r = await _post(api.http, _json(_event(type_)))
    assert r.status_code == 200 and r.json()["status"] == "ignored", r.text  # unknown customer


@pytest.mark.parametrize("type_,path,value,named", NESTED, ids=[f"{t}:{p}={v!r}"[:80] for t, p, v, _ in NESTED])
async def test_wrong_nested_types_and_ranges(api, caplog, type_, path, value, named):
    evt = _with(_event(type_), path, value)
    before = await row_counts()
    caplog.set_level(logging.WARNING, logger="yourmusic.billing")
    r = await _post(api.http, _json(evt))
    if named is None:
        assert r.status_code == 200, r.text
        return
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "MALFORMED_EVENT" and body["message"].startswith(named + ":"), body
    assert await row_counts() == before
    assert f"stripe event {evt['id']} refused: {named}" in caplog.text


TOP_LEVEL = [
    ("[]", "must be a JSON object, not list"),
    ('["evt"]', "must be a JSON object, not list"),
    ('"evt_1"', "must be a JSON object, not str"),
    ("null", "must be a JSON object, not null"),
    ("7", "must be a JSON object, not int"),
    ("true", "must be a JSON object, not bool"),
    ("not json", "not valid JSON"),
    ('{"id": "evt_1", "created": NaN}', "not valid JSON"),
    ('{"id": "evt_1", "created": Infinity}', "not valid JSON"),
    ('{"id": "evt_1", "created": ' + "9" * 5000 + "}", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "nests deeper"),
    ('{"a":' * 100 + "1" + "}" * 100, "nests deeper"),
]


@pytest.mark.parametrize("raw,why", TOP_LEVEL, ids=[w + ":" + r[:20] for r, w in TOP_LEVEL])
async def test_bodies_that_are_no_event_object(api, raw, why):
    before = await row_counts()
    r = await _post(api.http, raw)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "MALFORMED_EVENT" and why in r.json()["message"], r.json()
    assert await row_counts() == before


ENVELOPES = [
    ("id", None, "id"), ("id", 5, "id"), ("id", "", "id"), ("id", "e" * 256, "id"),
    ("type", 7, "type"), ("type", "", "type"), ("type", "t" * 129, "type"),
    ("created", "now", "created"), ("created", 1.5, "created"), ("created", -1, "created"),
    ("created", 10**18, "created"), ("created", 2**70, "created"), ("created", False, "created"),
    ("data", [], "data"), ("data", {"object": []}, "data.object"), ("data", {}, "data.object"),
    ("data", None, "data"),
]


@pytest.mark.parametrize("key,value,named", ENVELOPES, ids=[f"{k}={v!r}"[:40] for k, v, _ in ENVELOPES])
async def test_wrong_envelopes(api, key, value, named):
    evt = _event()
    evt[key] = value
    before = await row_counts()
    r = await _post(api.http, _json(evt))
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "MALFORMED_EVENT" and r.json()["message"].startswith(named + ":"), r.json()
    assert await row_counts() == before


@pytest.mark.parametrize("where", ["id", "type", "metadata value", "metadata key", "unhandled field", "list item"])
async def test_nul_characters_anywhere(api, caplog, where):
    evt = _event()
    obj = evt["data"]["object"]
    if where == "id":
        evt["id"] = "evt_\x00x"
    elif where == "type":
        evt["type"] = "customer.subscription.updated\x00"
    elif where == "metadata value":
        obj["metadata"]["tenant_id"] = "a\x00b"
    elif where == "metadata key":
        obj["metadata"]["a\x00"] = "b"
    elif where == "unhandled field":
        obj["description"] = "\x00"
    else:
        obj["items"]["data"].append({"note": ["ok", "\x00"]})
    before = await row_counts()
    caplog.set_level(logging.WARNING, logger="yourmusic.billing")
    r = await _post(api.http, _json(evt))
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "MALFORMED_EVENT" and "NUL characters are not allowed" in r.json()["message"]
    assert "\x00" not in r.text
    assert await row_counts() == before
    assert "stripe event" in caplog.text and "refused" in caplog.text


async def test_an_unhandled_type_needs_only_a_valid_envelope(api):
    evt = event("charge.refunded", {"amount": "whatever", "customer": 5}, event_id=f"evt_{uuid.uuid4().hex[:20]}")
    r = await _post(api.http, _json(evt))
    assert r.status_code == 200 and r.json()["status"] == "ignored"


async def test_not_utf8_is_refused(api):
    r = await _post(api.http, b'{"id": "\xff"}', signed('{"id": "?"}')[1])
    assert r.status_code == 400


def test_only_connection_failures_read_as_a_database_outage():
    assert database_unavailable(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert database_unavailable(OSError("Multiple exceptions: [Errno 111] Connect call failed"))
    assert database_unavailable(OSError(errno.EHOSTUNREACH, "no route"))
    assert database_unavailable(TimeoutError())
    assert not database_unavailable(OSError(errno.EOVERFLOW, "Value too large for defined data type"))
    assert not database_unavailable(OSError(errno.ENOENT, "No such file"))
    wrapped = ValueError("wrapped")
    wrapped.__cause__ = OSError(errno.EOVERFLOW, "Value too large")
    assert not database_unavailable(wrapped)
