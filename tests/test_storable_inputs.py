"""validation.storable: every Input refuses what a database cannot store, at any depth (issue 15, class 1).

The walk over every operation (tests/test_hostile_inputs.py) proves no input reaches the database with
such a value; these pin the rule itself: where the 422 points and what it says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from yourmusic.errors import ValidationFailed
from yourmusic.services.scoping import parse_client_id, parse_id, parse_slug
from yourmusic.validation import Input, UtcDateTime, parse


class Inner(Input):
    title: str


class Everything(Input):
    name: str = "ok"
    tags: list[str] = []
    inner: Inner | None = None
    inners: list[Inner] = []
    free: dict[str, Any] = {}
    count: int = 0
    ratio: float = 0.0
    at: datetime | None = None
    when: UtcDateTime | None = None


def _errors(data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse(Everything, data)
    return caught.value.errors


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "A\u0000B"}, "name"),
    ({"tags": ["fine", "\u0000"]}, "tags.1"),
    ({"inner": {"title": "x\u0000"}}, "inner.title"),
    ({"inners": [{"title": "ok"}, {"title": "\u0000"}]}, "inners.1.title"),
    ({"free": {"deep": ["a", {"b": "\u0000"}]}}, "free.deep"),
    ({"free": {"key\u0000": 1}}, "free.key\u0000.[key]"),  # pydantic names a bad key so
])
def test_a_nul_character_is_refused_where_it_was_sent(data, field):
    errors = _errors(data)
    assert list(errors) == [field], errors
    assert errors[field][0].endswith("must not contain a NUL character.")


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_integers_stay_within_64_bits(number):
    assert list(_errors({"count": number})) == ["count"]
    assert list(_errors({"free": {"n": number}})) == ["free.n"]
    assert parse(Everything, {"count": 2**63 - 1}).count == 2**63 - 1


def test_numbers_are_finite():
    assert _errors({"ratio": "inf"}) == {"ratio": ["The ratio field must be a number."]}


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_date_times_must_convert_to_utc(stamp):
    assert list(_errors({"at": stamp})) == ["at"]
    assert _errors({"when": stamp})["when"] == [
        "The when field must be a date and time between the years 1 and 9999 in UTC."]


def test_utc_date_time_is_aware_and_converted():
    value = parse(Everything, {"when": "2025-11-01T11:37:15+02:00"}).when
    assert value is not None and value.isoformat() == "2025-11-01T09:37:15+00:00"
    assert "when" in _errors({"when": "2025-11-01T09:37:15"})  # a bare local time is ambiguous


def test_a_key_that_cannot_exist_names_no_row():
    assert parse_slug("walk") == "walk"
    for bad in ("a\u0000b", "x" * 65, "Walk", "", 7):
        assert parse_slug(bad) is None
    assert parse_client_id("ym_abc") == "ym_abc"
    assert parse_client_id("ym_\u0000") is None and parse_client_id("x" * 65) is None
    assert parse_id("a\u0000b") is None and parse_id("9" * 40) is None


@pytest.mark.parametrize("slug", ["acme\n", "Acme", "-acme", "a" * 65, "ac\u0000me", ""])
async def test_a_tenant_slug_follows_the_one_slug_rule(slug):
    """create_tenant refuses what `parse_slug` can never find again (re's `$` let a trailing newline pass)."""
    from yourmusic.errors import ValidationFailed
    from yourmusic.services.tenancy import create_tenant

    with pytest.raises(ValidationFailed):
        await create_tenant(slug)
