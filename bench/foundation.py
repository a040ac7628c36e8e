"""Issue 2: the token endpoint and GET /api/users under a simple closed-loop load.

Usage: .venv/bin/python bench/foundation.py [--seconds 5] [--concurrency 16] [--workers 1]
(DATABASE_URL=postgres://... to measure on PostgreSQL.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import load, serve, summary  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    with serve(workers=args.workers) as server:
        server.cli("tenant", "create", "bench")
        creds = server.cli("client", "create", "--tenant", "bench")
        body = {"grant_type": "client_credentials", **creds}
        async with aiohttp.ClientSession() as s:
            async with s.post(f"{server.url}/api/oauth/token", json=body) as r:
                token = (await r.json())["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            for i in range(50):
                user = {"first_name": "Bench", "last_name": f"User{i}", "email": f"u{i}@example.com",
                        "date_of_birth": "1990-01-01"}
                async with s.post(f"{server.url}/api/users", json=user, headers=auth) as r:
                    assert r.status == 201, await r.text()

        async def token_call(s: aiohttp.ClientSession) -> int:
            async with s.post(f"{server.url}/api/oauth/token", json=body) as r:
                await r.read()
                return r.status

        async def users_call(s: aiohttp.ClientSession) -> int:
            async with s.get(f"{server.url}/api/users?per_page=15", headers=auth) as r:
                await r.read()
                return r.status

        results = [
            await load("POST /api/oauth/token", token_call, concurrency=args.concurrency, seconds=args.seconds),
            await load("GET /api/users (15 of 50)", users_call, concurrency=args.concurrency, seconds=args.seconds),
        ]
    summary(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
