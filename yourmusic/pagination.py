"""The one pagination helper: offset pages with Laravel's paginator numbers, and keyset (cursor) pages.

Every list names its order once (`order`: field names, `-` for descending, ending with a unique field)
and both kinds of page follow it:

- `paginate`: page/per_page (`current_page`, `last_page`, `from`, `to`, `total`). A page past the first
  is a deferred join: the inner statement skips `offset` rows reading only the ids in list order (an
  index-only scan when an index holds the order), the outer one reads the page's rows by id.
- `keyset`: after an opaque cursor (the last row's order values, signed for one list: `Cursors`), the
  next rows in list order (`WHERE (order) > (cursor)`): its cost follows the page, not how deep it is, and
  a walk sees every row that existed when it started exactly once, whatever is inserted meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from pydantic import Field
from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from yourmusic.validation import Input, Submitted

T = TypeVar("T", bound=Model)

MAX_PER_PAGE = 100


class PageArgs(Input):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=15, ge=1, le=MAX_PER_PAGE)


class CursorArgs(Input):
    """A keyset page: up to `per_page` rows after `cursor` (none or empty: from the start)."""

    cursor: str | None = Field(default=None, max_length=512)
    per_page: int = Field(default=15, ge=1, le=MAX_PER_PAGE)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int | None:
        return (self.page - 1) * self.per_page + 1 if self.items else None

    @property
    def last_index(self) -> int | None:
        return (self.page - 1) * self.per_page + len(self.items) if self.items else None


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """Rows in list order; `cursors[i]` resumes after `items[i]`; `next_cursor` is None at the end."""

    items: list[T]
    cursors: list[str]
    per_page: int
    cursor: str | None
    next_cursor: str | None


async def paginate(query: QuerySet[T], args: PageArgs, order: tuple[str, ...]) -> Page[T]:
    """One offset page of `query` in `order`, and the total (a COUNT of the same rows)."""
    total = await query.count()
    offset = (args.page - 1) * args.per_page
    ordered = query.order_by(*order)
    if offset == 0:
        items = await ordered.limit(args.per_page)
    else:  # deferred join: skip over ids only, then read the page's rows
        pk = query.model._meta.pk_attr
        ids = ordered.offset(offset).limit(args.per_page).values(pk)
        items = await query.filter(**{f"{pk}__in": Subquery(ids)}).order_by(*order)
    return Page(items=list(items), total=total, page=args.page, per_page=args.per_page)


class InvalidCursor(ValueError):
    """A cursor this list did not issue (altered, or from another list or tenant)."""


A = TypeVar("A", bound=CursorArgs)


async def walked(args: Submitted[A], walk: Callable[[A], Awaitable[CursorPage[T]]]) -> CursorPage[T]:
    """`walk(args)` with the caller's input validated; an invalid cursor is a 422 on the caller's name
    for the cursor (`cursor` in REST, `after` in GraphQL)."""
    value = args.value()
    try:
        return await walk(value)
    except InvalidCursor:
        raise args.invalid("cursor", "The cursor is invalid.") from None


class Cursors:
    """Opaque cursors: a row's order values, bound to one list (`scope`: the list's name and whose it
    is, e.g. its tenant) by an HMAC-SHA256 under a server key. A cursor changed in any way, or made for
    another list or tenant, is refused (InvalidCursor): it can never select another's rows."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the cursor key must be at least 256 bits")
        self._key = key

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\0" + payload, hashlib.sha256).digest()[:16]

    def encode(self, scope: str, values: list[Any]) -> str:
        payload = json.dumps([_dump(v) for v in values], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(self._mac(scope, payload) + payload).decode().rstrip("=")

    def decode(self, scope: str, token: str) -> list[Any]:
        """The values `encode` was given for this scope; InvalidCursor otherwise."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        except (ValueError, TypeError, UnicodeEncodeError):
            raise InvalidCursor() from None
        mac, payload = raw[:16], raw[16:]
        if len(mac) < 16 or not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise InvalidCursor()
        values = json.loads(payload)
        if not isinstance(values, list):
            raise InvalidCursor()
        return values


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _load(model: type[Model], name: str, raw: Any) -> Any:
    kind = model._meta.fields_map[name].field_type
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is uuid.UUID:
        return uuid.UUID(raw)
    return raw


def _field(entry: str) -> tuple[str, bool]:
    return (entry[1:], True) if entry.startswith("-") else (entry, False)


def _after(model: type[Model], order: tuple[str, ...], values: list[Any]) -> Q:
    """Rows after a cursor's (JSON) `values` in `order`."""
    return after(order, [_load(model, _field(o)[0], v) for o, v in zip(order, values)])


def after(order: tuple[str, ...], loaded: list[Any]) -> Q:
    """Rows after the row whose `order` values are `loaded` (Python values, as read): (a > x) or
    (a = x and b > y) ..., led by `a >= x` so an index on the order can seek to it."""
    names = [_field(o) for o in order]
    branches = []
    for k, (name, desc) in enumerate(names):
        equal = {n: v for (n, _), v in zip(names[:k], loaded[:k])}
        branches.append(Q(**equal, **{f"{name}__{'lt' if desc else 'gt'}": loaded[k]}))
    lead, desc = names[0]
    return Q(**{f"{lead}__{'lte' if desc else 'gte'}": loaded[0]}) & Q(*branches, join_type="OR")


async def keyset(query: QuerySet[T], args: CursorArgs, order: tuple[str, ...], cursors: Cursors,
                 scope: str) -> CursorPage[T]:
    """The rows of `query` after `args.cursor` in `order` (unique: it ends with a unique field), at
    most `args.per_page`. Raises InvalidCursor for a cursor not made by `cursors` for `scope` (another
    list, another tenant, altered)."""
    model = query.model
    if args.cursor:
        values = cursors.decode(scope, args.cursor)
        if len(values) != len(order):
            raise InvalidCursor()
        try:
            query = query.filter(_after(model, order, values))
        except (TypeError, ValueError, AttributeError):
            raise InvalidCursor() from None
    rows = list(await query.order_by(*order).limit(args.per_page + 1))
    more = len(rows) > args.per_page
    rows = rows[:args.per_page]
    marks = [cursors.encode(scope, [getattr(row, _field(o)[0]) for o in order]) for row in rows]
    return CursorPage(items=rows, cursors=marks, per_page=args.per_page, cursor=args.cursor or None,
                      next_cursor=marks[-1] if more else None)
