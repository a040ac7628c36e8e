"""Rate limits on the `limits` package: fixed windows, atomic in memory and on Redis (shared by every
worker and instance), each opened by its first hit as Laravel's RateLimiter does.

One hit is one round trip on Redis (a Lua INCRBY that sets the expiry when it creates the counter);
a refused hit asks the window's end once more for `Retry-After`. Refused hits never extend the window.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterable
from typing import Union

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import ConnectionPool

from yourmusic.errors import RateLimited

log = logging.getLogger("yourmusic.ratelimit")

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

REDIS_TIMEOUT = 2.0  # seconds per Redis call: a hung Redis must not hang sign-in


class RateLimiter:
    """`hit(name, limit, window)` per named budget; RateLimited (with `Retry-After`) past the limit.

    `storage`: a `limits` async storage (`build_limiter` picks memory or Redis). Names are hashed into
    the keys, so no address sits readable in Redis.
    """

    def __init__(self, storage: Storage, pool: ConnectionPool | None = None) -> None:
        self._storage = storage
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


def parse_networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """`"10.0.0.1, 192.168.0.0/16"` -> networks; a bad entry is a configuration error."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:8080"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "1.2.3.4:5678"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(peer: str | None, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """The caller's address: the TCP peer, unless that peer is a trusted proxy.

    Behind trusted proxies, `X-Forwarded-For` is read right to left (each proxy appends the
    address it saw) and the first address that is not a trusted proxy is the client; entries left
    of it were written by the client and are not believed.
    """
    address = _ip(peer) if peer else None
    if address is None:
        return peer or "unknown"

    def is_trusted(a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(a in network for network in trusted)

    if not trusted or not is_trusted(address):
        return str(address)
    hops = [h for header in forwarded_for for h in header.split(",")]
    for hop in reversed(hops):
        hop_ip = _ip(hop)
        if hop_ip is None:
            break  # a garbled entry: stop believing anything further left
        address = hop_ip
        if not is_trusted(hop_ip):
            break
    return str(address)
