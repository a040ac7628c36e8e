"""Issue 15.4: what one client sending hostile GraphQL documents does to everyone else's latency.

A real `yourmusic serve` (one worker). Other clients: `--victims` connections sending `{ heartbeat }`
back to back; measured alone, then while one hostile client sends, one after another, documents under
the token limit that used to cost graphql-core's validation hundreds of milliseconds (2,000 repeated
fields, repeated fields with sub-selections, the same through fragments), each one new (a counter in
the document) so no cache helps. Prints the victims' p50/p99 and what the hostile client got back.
Usage: .venv/bin/python bench/hostile.py [--seconds 10] [--victims 8]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import load, serve  # noqa: E402

HEARTBEAT = {"query": "{ heartbeat }"}


def hostile_documents() -> list[str]:
    """The shapes of the issue, each about 2,000 tokens or fewer, no aliases, no token needed."""
    return [
        "{ " + "heartbeat " * 1990 + "}",
        "{ " + 'track(id: "1") { id } ' * 180 + "}",
        "{ ...A ...B } fragment A on Query { " + "heartbeat " * 900 + "} fragment B on Query { " + "heartbeat " * 900 + "}",
        "{ " + "nope " * 1990 + "}",
    ]


async def hostile(url: str, stop: float, seen: collections.Counter, times: list[float]) -> None:
    """One client, one request at a time, a new document each time."""
    shapes = hostile_documents()
    n = 0
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < stop:
            n += 1
            query = f"# {n}\n" + shapes[n % len(shapes)]
            t0 = time.perf_counter()
            async with session.post(url, json={"query": query}) as r:
                body = await r.json(content_type=None)
            times.append(time.perf_counter() - t0)
            for error in body.get("errors") or [{}]:
                seen[(error.get("extensions") or {}).get("code") or f"no code: {error.get('message', '')[:40]}"] += 1


async def main(args: argparse.Namespace) -> None:
    with serve(workers=1) as server:
        url = f"{server.url}/graphql"

        async def heartbeat(session: aiohttp.ClientSession) -> int:
            async with session.post(url, json=HEARTBEAT) as r:
                await r.read()
                return r.status

        alone = await load("victims alone", heartbeat, concurrency=args.victims, seconds=args.seconds)
        seen: collections.Counter = collections.Counter()
        times: list[float] = []
        stop = time.monotonic() + 1.0 + args.seconds + 0.5  # covers the victims' warm-up and run
        attacked, _ = await asyncio.gather(
            load("victims, one hostile client", heartbeat, concurrency=args.victims, seconds=args.seconds),
            hostile(url, stop, seen, times))
    print(f"| {'other clients ({heartbeat}, %d connections)' % args.victims:<48} | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for r in (alone, attacked):
        print(f"| {r.name:<48} | {r.rps:.0f} | {r.pct(0.5):.2f} | {r.pct(0.99):.2f} |")
    print()
    print(f"hostile client: {len(times)} documents in {args.seconds + 1.5:.1f} s, answer median "
          f"{statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms; answers: {dict(seen)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--victims", type=int, default=8)
    asyncio.run(main(parser.parse_args()))
