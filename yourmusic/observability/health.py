"""Probes: `/healthz` says the process answers; `/readyz` says it can do its work.

Readiness runs a `SELECT 1` on the database and a set/get round-trip on the shared cache, each with a
short timeout, concurrently. With READY_REQUIRES_CACHE=false a cache outage is reported but does not
make the instance unready (the app degrades to no cache; see the README's Operations section).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from tortoise import connections


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _cache(backend: Any) -> None:
    key = f"readyz:{os.getpid()}"
    token = time.time()
    await backend.set(key, token, ttl=30)
    if await backend.get(key) != token:
        raise RuntimeError("cache round-trip returned something else")


async def _check(coro: Any, timeout: float) -> str:
    try:
        await asyncio.wait_for(coro, timeout)
    except TimeoutError:
        return "timeout"
    except Exception as exc:  # noqa: BLE001 - any failure is an unready dependency
        return f"error: {type(exc).__name__}"
    return "ok"


async def readiness(container: Any, timeout: float, requires_cache: bool = True) -> tuple[bool, dict[str, Any]]:
    database, cache = await asyncio.gather(_check(_database(), timeout), _check(_cache(container.cache.backend), timeout))
    checks = {"database": database, "cache": cache}
    ready = database == "ok" and (cache == "ok" or not requires_cache)
    return ready, {"status": "ready" if ready else "unready", "checks": checks}
