"""Rate limits on the shared cache (aiocache: in-process, or Redis so they hold across workers and
instances), and the client address they are keyed on.

A limit is a window opened by its first hit, as Laravel's RateLimiter does: `add` (SET NX EX on
Redis) creates the counter with its expiry and a timer key holding the window's end, `increment`
(INCRBY) counts atomically. Hits past the limit are refused with RATE_LIMITED and `Retry-After`
(the seconds until the window closes); refused hits never extend the window.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterable
from typing import Union

from aiocache.base import BaseCache

from yourmusic.errors import RateLimited

log = logging.getLogger("yourmusic.ratelimit")

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class RateLimiter:
    def __init__(self, backend: BaseCache, prefix: str = "rl:") -> None:
        self._backend = backend
        self._prefix = prefix

    def _key(self, name: str) -> str:
        # Hashed: keys may be built from addresses, which have no business sitting readable in Redis.
        return self._prefix + hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]

    async def hit(self, name: str, limit: int, window: int) -> None:
        """Count one hit against `limit` per `window` seconds; RateLimited when over.

        A cache that is down lets the hit through (logged): a Redis outage must not lock every
        user out of sign-in; the per-code attempt limit in the database still holds.
        """
        key = self._key(name)
        try:
            count = await self._count(key, window)
        except Exception as exc:  # noqa: BLE001
            log.warning("rate limiter unavailable: %s", type(exc).__name__)
            return
        if count > limit:
            raise RateLimited(await self._retry_after(key, window))

    async def _count(self, key: str, window: int) -> int:
        now = time.time()
        await self._add(key + ":timer", now + window, window)
        added = await self._add(key, 0, window)
        count = int(await self._backend.increment(key, 1))
        if not added and count == 1:
            # The counter expired between `add` and `increment`: INCRBY made it without a TTL.
            await self._backend.expire(key, window)
        return count

    async def _add(self, key: str, value: float, ttl: int) -> bool:
        try:
            return bool(await self._backend.add(key, value, ttl=ttl))
        except ValueError:  # aiocache: the key already exists
            return False

    async def _retry_after(self, key: str, window: int) -> int:
        try:
            ends = await self._backend.get(key + ":timer")
        except Exception:  # noqa: BLE001
            ends = None
        if not isinstance(ends, (int, float)):
            return window
        return max(1, math.ceil(ends - time.time()))

    async def reset(self, name: str) -> None:
        key = self._key(name)
        await self._backend.delete(key)
        await self._backend.delete(key + ":timer")


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
