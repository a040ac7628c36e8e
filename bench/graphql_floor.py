"""Issue 17.8: graphql-core's own cost per field, the floor under any GraphQL answer of this server, and
what the selection plans (schema/selection_plans.py) make of the same answer.

`{ items { f0 ... f19 } }` over 250 items (5,000 fields, about the full home page's count in
bench/home_page.py), no HTTP, in one process, each figure the median of `--n` executions:
- graphql-core: a bare schema (no Strawberry), its default resolver reading dict keys;
- YourMusicSchema, graphql-core's executor: the same type as a Strawberry dataclass, planning off;
- YourMusicSchema, selection plans: the default executor;
- YourMusicSchema, selection plans, shared values: the items are SharedValues (as catalog values are), so
  from the second execution their leaves come from LeafMemo;
next to orjson encoding the same data (what a REST route does with it). Ratios are to the first line.
Usage: .venv/bin/python bench/graphql_floor.py [--n 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
import strawberry
from graphql import build_schema, execute, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from yourmusic.schema.catalog import SharedValue
from yourmusic.schema.execution import YourMusicSchema

FIELDS = [f"f{i}" for i in range(20)]
QUERY = "{ items { " + " ".join(FIELDS) + " } }"


def _item_type(name: str, base: type) -> type:
    namespace: dict[str, Any] = {"__annotations__": dict.fromkeys(FIELDS, str)}
    return strawberry.type(type(name, (base,), namespace))


Item = _item_type("Item", object)
SharedItem = _item_type("SharedItem", SharedValue)


def _schema(item: type, executor: type | None) -> YourMusicSchema:
    items = [item(**{f: f"value {i} {f}" for f in FIELDS}) for i in range(250)]

    def resolve() -> Any:
        return items

    resolve.__annotations__ = {"return": list[item]}  # a real type: this module's annotations are strings
    query = strawberry.type(type("Query", (), {"items": strawberry.field(resolver=resolve)}))
    extra = {"execution_context_class": executor} if executor is not None else {}
    return YourMusicSchema(query=query, **extra)


def _median_ms(run: Callable[[], Any], n: int) -> float:
    for _ in range(5):
        run()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main(args: argparse.Namespace) -> None:
    schema = build_schema("type Item { " + " ".join(f"{f}: String" for f in FIELDS) + " } "
                          "type Query { items: [Item!]! }")
    items = [{f: f"value {i} {f}" for f in FIELDS} for i in range(250)]
    document = parse(QUERY)
    root = {"items": items}
    result = execute(schema, document, root_value=root)
    assert result.errors is None and len(result.data["items"]) == 250  # type: ignore[index,union-attr]
    loop = asyncio.new_event_loop()

    def strawberry_run(s: YourMusicSchema) -> Callable[[], Any]:
        def run() -> None:
            answer = loop.run_until_complete(s.execute(QUERY))
            assert answer.errors is None and len(answer.data["items"]) == 250  # type: ignore[index]
        return run

    rows = [
        ("graphql-core execute (bare schema, dicts)", _median_ms(lambda: execute(schema, document, root_value=root),
                                                                  args.n)),
        ("YourMusicSchema, graphql-core's executor", _median_ms(strawberry_run(
            _schema(Item, StrawberryGraphQLCoreExecutionContext)), args.n)),
        ("YourMusicSchema, selection plans", _median_ms(strawberry_run(_schema(Item, None)), args.n)),
        ("YourMusicSchema, selection plans, shared values", _median_ms(strawberry_run(_schema(SharedItem, None)),
                                                                        args.n)),
    ]
    dumps = _median_ms(lambda: orjson.dumps(items), args.n)
    load = os.getloadavg()[0]
    print(f"(python {sys.version.split()[0]}, load average {load:.2f}; median of {args.n}; 250 items x 20 fields)")
    base = rows[0][1]
    for name, ms in rows:
        print(f"{name:<50} {ms:7.2f} ms  {ms * 1000 / 5000:5.2f} us per field  {ms / base:5.2f}x")
    print(f"{'orjson.dumps of the same items':<50} {dumps:7.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    main(parser.parse_args())
