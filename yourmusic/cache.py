"""The shared cache (aiocache: in-process by default, Redis when REDIS_URL is set).

Also the two behaviours every cached upstream read needs: single flight (concurrent misses of one
key make one upstream call) and stale-on-error (a recently expired entry beats an error page).
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

import orjson
from aiocache import SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"aiocache(\..*)?")

log = logging.getLogger("yourmusic.cache")
T = TypeVar("T")


class OrjsonSerializer(BaseSerializer):
    """JSON on the wire for Redis (readable, language-neutral); orjson because it is the fastest."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Any) -> bytes:
        return orjson.dumps(value)

    def loads(self, value: Any) -> Any:
        return None if value is None else orjson.loads(value)


def build_cache(redis_url: str | None, namespace: str) -> BaseCache:
    """Always namespaced: aiocache's clear() without a namespace is FLUSHDB."""
    if not redis_url:
        # No per-operation timeout in-process: nothing can hang, and asyncio.wait_for costs on every hit.
        return SimpleMemoryCache(serializer=OrjsonSerializer(), namespace=namespace, timeout=None)
    from aiocache import RedisCache

    url = urlparse(redis_url)
    db = (url.path or "/0").lstrip("/") or "0"
    return RedisCache(
        serializer=OrjsonSerializer(),
        namespace=namespace,
        endpoint=url.hostname or "127.0.0.1",
        port=url.port or 6379,
        db=int(db),
        password=url.password,
        create_connection_timeout=2,
        ssl=url.scheme == "rediss",
    )


class SingleFlight:
    """In-process: one running call per key; concurrent callers share its result or error."""

    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    async def do(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await fn()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: a lone caller must not leave a warning behind
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._inflight[key]


class CacheStore:
    """Read-through cache with per-entry freshness, single flight and stale-on-error.

    Entries live `ttl + stale_for` seconds in the backend; past `ttl` they are stale and only
    served when refreshing fails in a way `stale_ok` accepts. A cache that is down (Redis stopped)
    degrades to a pass-through, never to an error.
    """

    def __init__(self, backend: BaseCache, stale_for: int) -> None:
        self.backend = backend
        self.stale_for = stale_for
        self.flight = SingleFlight()

    async def get_entry(self, key: str) -> dict[str, Any] | None:
        try:
            entry = await self.backend.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the request
            log.warning("cache get failed: %s", type(exc).__name__)
            return None
        return entry if isinstance(entry, dict) and "v" in entry else None

    async def get_entries(self, keys: list[str]) -> list[dict[str, Any] | None]:
        if not keys:
            return []
        try:
            entries = await self.backend.multi_get(keys)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache multi_get failed: %s", type(exc).__name__)
            return [None] * len(keys)
        return [e if isinstance(e, dict) and "v" in e else None for e in entries]

    async def put(self, key: str, value: Any, ttl: int) -> None:
        try:
            await self.backend.set(key, {"v": value, "t": time.time() + ttl}, ttl=ttl + self.stale_for)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache set failed: %s", type(exc).__name__)

    async def put_many(self, items: list[tuple[str, Any]], ttl: int) -> None:
        if not items:
            return
        expires = time.time() + ttl
        try:
            await self.backend.multi_set([(k, {"v": v, "t": expires}) for k, v in items], ttl=ttl + self.stale_for)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache multi_set failed: %s", type(exc).__name__)

    @staticmethod
    def is_fresh(entry: dict[str, Any] | None) -> bool:
        return entry is not None and entry.get("t", 0) > time.time()

    async def fetch(
        self,
        key: str,
        ttl: int,
        load: Callable[[], Awaitable[T]],
        stale_ok: Callable[[BaseException], bool] = lambda exc: False,
    ) -> T:
        entry = await self.get_entry(key)
        if self.is_fresh(entry):
            return entry["v"]  # type: ignore[index]

        async def refresh() -> T:
            try:
                value = await load()
            except Exception as exc:
                if entry is not None and stale_ok(exc):
                    log.info("serving a stale entry after %s", type(exc).__name__)
                    return entry["v"]
                raise
            await self.put(key, value, ttl)
            return value

        return await self.flight.do(key, refresh)

    async def delete(self, key: str) -> None:
        try:
            await self.backend.delete(key)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache delete failed: %s", type(exc).__name__)

    async def close(self) -> None:
        try:
            await self.backend.close()
        except Exception:  # noqa: BLE001
            pass
