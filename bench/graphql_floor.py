"""Issue 17.8: graphql-core's own cost per field, the floor under any GraphQL answer of this server.

A bare schema (one list of objects with 20 String fields, graphql-core's default resolver reading dict keys,
no Strawberry, no HTTP): executes `{ items { f0 ... f19 } }` over 250 items (5,000 fields, about the
full home page's count in bench/home_page.py) and prints milliseconds per execution and microseconds per
field, next to orjson encoding the same data (what a REST route does with it).
Usage: .venv/bin/python bench/graphql_floor.py [--n 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import orjson
from graphql import build_schema, execute, parse

FIELDS = [f"f{i}" for i in range(20)]


def main(args: argparse.Namespace) -> None:
    schema = build_schema("type Item { " + " ".join(f"{f}: String" for f in FIELDS) + " } "
                          "type Query { items: [Item!]! }")
    items = [{f: f"value {i} {f}" for f in FIELDS} for i in range(250)]
    document = parse("{ items { " + " ".join(FIELDS) + " } }")
    root = {"items": items}
    runs, dumps = [], []
    for _ in range(5):
        execute(schema, document, root_value=root)
    for _ in range(args.n):
        t0 = time.perf_counter()
        result = execute(schema, document, root_value=root)
        runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        orjson.dumps(items)
        dumps.append(time.perf_counter() - t0)
    assert result.errors is None and len(result.data["items"]) == 250  # type: ignore[index]
    ms = statistics.median(runs) * 1000
    load = os.getloadavg()[0]
    print(f"(python {sys.version.split()[0]}, load average {load:.2f}; median of {args.n})")
    print(f"graphql-core execute, 250 items x 20 fields: {ms:.2f} ms ({ms * 1000 / 5000:.2f} us per field)")
    print(f"orjson.dumps of the same items: {statistics.median(dumps) * 1000:.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    main(parser.parse_args())
