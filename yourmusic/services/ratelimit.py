"""Rate limits on the `limits` package: fixed windows, atomic in memory and on Redis (shared by every
worker and instance), each opened by its first hit as Laravel's RateLimiter does.

One hit is one round trip on Redis (a Lua INCRBY that sets the expiry when it creates the counter);
a refused hit asks the window's end once more for `Retry-After`. Refused hits never extend the window.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import ConnectionPool

from yourmusic.errors import RateLimited

log = logging.getLogger("yourmusic.ratelimit")

REDIS_TIMEOUT = 2.0  # seconds per Redis call: a hung Redis must not hang sign-in


class RateLimiter:
    """`hit(name, limit, window)` per named budget; RateLimited (with `Retry-After`) past the limit.

    `storage`: a `limits` async storage (`build_limiter` picks memory or Redis). Names are hashed into
    the keys, so no address sits readable in Redis.
    """

    def __init__(self, storage: Storage, pool: ConnectionPool | None = None) -> None:
        self._windows = FixedWindowRateLimiter(storage)
        self._pool = pool  # the Redis connections, closed with the limiter

    async def close(self) -> None:
        """Close the Redis connections, if any (container shutdown)."""
        if self._pool is not None:
            await self._pool.aclose()

    @staticmethod
    def _key(name: str) -> str:
        return hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]

    async def hit(self, name: str, limit: int, window: int) -> None:
        """Count one hit against `limit` per `window` seconds; RateLimited when over.

        A storage that is down lets the hit through (logged): a Redis outage must not lock every
        user out of sign-in; the per-code attempt limit in the database still holds.
        """
        item, key = RateLimitItemPerSecond(limit, window), self._key(name)
        try:
            if await self._windows.hit(item, key):
                return
            ends = (await self._windows.get_window_stats(item, key)).reset_time
        except Exception as exc:  # noqa: BLE001 - any storage failure: let the hit through
            log.warning("rate limiter unavailable: %s", type(exc).__name__)
            return
        raise RateLimited(min(window, max(1, math.ceil(ends - time.time()))))

    async def reset(self, name: str, limit: int, window: int) -> None:
        """Forget the hits of one budget (support tools, tests)."""
        await self._windows.clear(RateLimitItemPerSecond(limit, window), self._key(name))


def build_limiter(redis_url: str | None, namespace: str) -> RateLimiter:
    """In process without `redis_url`; else on Redis through redis-py, keys under `<namespace>:rl`."""
    if not redis_url:
        return RateLimiter(MemoryStorage())
    pool = ConnectionPool.from_url(redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
    storage = RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix=f"{namespace}:rl",
                           wrap_exceptions=True, connection_pool=pool)
    return RateLimiter(storage, pool)
