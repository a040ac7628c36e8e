"""The shared cache (aiocache: in-process by default, Redis when REDIS_URL is set).

Also the two behaviours every cached upstream read needs: single flight (concurrent misses of one
key make one upstream call) and stale-on-error (a recently expired entry beats an error page).
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

import orjson
from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer

from yourmusic.observability.metrics import CACHE_ERROR, CACHE_HIT, CACHE_MISS, CACHE_STALE

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"aiocache(\..*)?")

log = logging.getLogger("yourmusic.cache")
_REMOTE = (RedisCache,)
T = TypeVar("T")


class OrjsonSerializer(BaseSerializer):
    """JSON on the wire for Redis (readable, language-neutral); orjson because it is the fastest."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Any) -> bytes:
        return orjson.dumps(value)

    def loads(self, value: Any) -> Any:
        return None if value is None else orjson.loads(value)


async def shared_get(backend: BaseCache, key: str) -> dict[str, Any] | None:
    """A state dict straight from the shared cache (no L1: for checks that must see a revocation made by
    another instance at once); None on a miss, on anything else, or when the cache fails (logged: the
    caller reads the database, which stays the truth)."""
    try:
        found = await backend.get(key)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the request
        log.warning("shared cache get failed: %s", type(exc).__name__)
        return None
    return found if isinstance(found, dict) else None


async def shared_set(backend: BaseCache, key: str, state: dict[str, Any], ttl: int) -> None:
    """Store a state dict in the shared cache for `ttl` seconds; a cache failure is logged, not raised."""
    try:
        await backend.set(key, state, ttl=ttl)
    except Exception as exc:  # noqa: BLE001
        log.warning("shared cache set failed: %s", type(exc).__name__)


def build_cache(redis_url: str | None, namespace: str) -> BaseCache:
    """Always namespaced: aiocache's clear() without a namespace is FLUSHDB."""
    if not redis_url:
        # No per-operation timeout in-process: nothing can hang, and asyncio.wait_for costs on every hit.
        return SimpleMemoryCache(serializer=OrjsonSerializer(), namespace=namespace, timeout=None)
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

    def __init__(self, backend: BaseCache, stale_for: int, *, l1_ttl: float | None = None,
                 l1_size: int = 20_000) -> None:
        self.backend = backend
        self.stale_for = stale_for
        self.flight = SingleFlight()
        # L1: decoded fresh entries of this process, in front of the backend. Values are shared, so
        # callers treat them as read-only (they do: pass-through JSON, copies where enriched). It keeps
        # an entry for at most `l1_ttl` seconds, which bounds how long another instance's delete (say a
        # new home page) can go unseen here when the backend is Redis; in-process it is the backend.
        self.l1_ttl = l1_ttl if l1_ttl is not None else (2.0 if isinstance(backend, _REMOTE) else 3600.0)
        self.l1_size = l1_size
        self._l1: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def _l1_get(self, key: str, now: float) -> dict[str, Any] | None:
        hit = self._l1.get(key)
        if hit is None:
            return None
        until, entry = hit
        if until <= now:
            del self._l1[key]
            return None
        return entry

    def _l1_put(self, key: str, entry: dict[str, Any], now: float) -> None:
        until = min(entry["t"], now + self.l1_ttl)
        if until <= now:
            return
        self._l1[key] = (until, entry)
        if len(self._l1) > self.l1_size:
            self._l1.popitem(last=False)

    def peek(self, key: str) -> dict[str, Any] | None:
        """A fresh entry this process already holds, without awaiting anything (else None)."""
        entry = self._l1_get(key, time.time())
        return entry if entry is not None and entry["t"] > time.time() else None

    async def get_entry(self, key: str) -> dict[str, Any] | None:
        entry = self._l1_get(key, time.time())
        if entry is not None:
            return entry
        try:
            entry = await self.backend.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the request
            log.warning("cache get failed: %s", type(exc).__name__)
            CACHE_ERROR.inc()
            return None
        if not (isinstance(entry, dict) and "v" in entry):
            return None
        self._l1_put(key, entry, time.time())
        return entry

    async def get_entries(self, keys: list[str]) -> list[dict[str, Any] | None]:
        if not keys:
            return []
        now = time.time()
        found = [self._l1_get(k, now) for k in keys]
        missing = [k for k, e in zip(keys, found) if e is None]
        if not missing:
            CACHE_HIT.inc(len(keys))  # L1 holds fresh entries only
            return found
        try:
            fetched = await self.backend.multi_get(missing)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache multi_get failed: %s", type(exc).__name__)
            CACHE_ERROR.inc()
            fetched = [None] * len(missing)
        by_key = {}
        for k, e in zip(missing, fetched):
            if isinstance(e, dict) and "v" in e:
                by_key[k] = e
                self._l1_put(k, e, now)
        result = [e if e is not None else by_key.get(k) for k, e in zip(keys, found)]
        hits = sum(1 for e in result if self.is_fresh(e))
        CACHE_HIT.inc(hits)
        CACHE_MISS.inc(len(result) - hits)
        return result

    async def put(self, key: str, value: Any, ttl: int) -> None:
        entry = {"v": value, "t": time.time() + ttl}
        self._l1_put(key, entry, time.time())
        try:
            await self.backend.set(key, entry, ttl=ttl + self.stale_for)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache set failed: %s", type(exc).__name__)

    async def put_many(self, items: list[tuple[str, Any]], ttl: int) -> None:
        if not items:
            return
        now = time.time()
        entries = [(k, {"v": v, "t": now + ttl}) for k, v in items]
        for k, e in entries:
            self._l1_put(k, e, now)
        try:
            await self.backend.multi_set(entries, ttl=ttl + self.stale_for)
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
            CACHE_HIT.inc()
            return entry["v"]  # type: ignore[index]
        CACHE_MISS.inc()

        async def refresh() -> T:
            try:
                value = await load()
            except Exception as exc:
                if entry is not None and stale_ok(exc):
                    log.info("serving a stale entry after %s", type(exc).__name__)
                    CACHE_STALE.inc()
                    return entry["v"]
                raise
            await self.put(key, value, ttl)
            return value

        return await self.flight.do(key, refresh)

    async def delete(self, key: str) -> None:
        self._l1.pop(key, None)
        try:
            await self.backend.delete(key)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache delete failed: %s", type(exc).__name__)

    async def clear(self) -> None:
        """Drop every entry of this namespace (tests and operators; never FLUSHDB)."""
        self._l1.clear()
        try:
            await self.backend.clear(namespace=self.backend.namespace)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache clear failed: %s", type(exc).__name__)

    async def close(self) -> None:
        try:
            await self.backend.close()
        except Exception:  # noqa: BLE001
            pass
