"""schema/execution.py `lean_resolvers`: plain fields get a one-call resolver; anything Strawberry wraps for a
reason (arguments, permissions, exception handlers) keeps Strawberry's own."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from yourmusic.schema import build_schema
from yourmusic.schema.execution import YourMusicSchema


class Never(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def shout(self, info: strawberry.Info) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        return self.name + "!"

    @strawberry.field
    def times(self, n: int) -> str:
        return self.name * n

    @strawberry.field(permission_classes=[Never])
    def secret(self, info: strawberry.Info) -> str:
        return "leaked"


@strawberry.type
class Query:
    @strawberry.field
    def item(self, info: strawberry.Info) -> Item:
        return Item(name="ab")


def _resolver_names(schema: strawberry.Schema, type_name: str) -> dict[str, str]:
    return {name: field.resolve.__name__ for name, field in schema._schema.type_map[type_name].fields.items()}


def test_plain_fields_get_one_call_the_rest_keep_strawberry_s() -> None:
    schema = YourMusicSchema(query=Query)
    names = _resolver_names(schema, "Item")
    assert names == {"name": "resolve", "shout": "resolve", "later": "resolve", "times": "_resolver",
                     "secret": "_resolver"}
    result = asyncio.run(schema.execute("{ item { name shout later times(n: 2) secret } }"))
    assert result.data is None and [e.message for e in result.errors or []] == ["no"]
    result = asyncio.run(schema.execute("{ item { name shout later times(n: 2) } }"))
    assert result.errors is None and result.data == {"item": {"name": "ab", "shout": "AB", "later": "ab!",
                                                               "times": "abab"}}


def test_nothing_is_replaced_when_the_schema_has_exception_handlers() -> None:
    from strawberry.schema.exception_handlers import ExceptionHandler

    class Handler(ExceptionHandler[ValueError, Item]):
        def handle(self, exception: ValueError, **kwargs: Any) -> Any:
            return None

    schema = YourMusicSchema(query=Query, exception_handlers=[Handler()])
    assert "resolve" not in _resolver_names(schema, "Item").values()


def test_the_api_schema_relations_and_attributes_are_lean() -> None:
    names = _resolver_names(build_schema(), "Track")
    assert names["title"] == names["release"] == names["artist"] == "resolve"
    assert _resolver_names(build_schema(), "Release")["tracks"] != "resolve"  # it takes arguments


def test_the_awaitable_check_knows_the_schema_types_and_still_sees_awaitables() -> None:
    schema = build_schema()
    check = schema.is_awaitable
    from yourmusic.schema.catalog import Release

    release = Release.of({"id": 1})

    async def coroutine() -> None:
        return None

    pending = coroutine()
    loop = asyncio.new_event_loop()
    try:
        assert [check(v) for v in ("x", 1, None, [], release)] == [False] * 5
        assert check(pending) and check(loop.create_future())
    finally:
        pending.close()
        loop.close()
