"""Which peers may name the client: TRUSTED_PROXIES, applied by uvicorn's `ProxyHeadersMiddleware`.

The middleware wraps the app in `create_app` (so it holds under any ASGI server, not only `yourmusic
serve`): from a trusted peer it reads `X-Forwarded-For` right to left (each proxy appends the address it
saw) and makes the first address that is not a trusted proxy the request's client (`request.client`),
and takes `X-Forwarded-Proto` as the scheme. From any other peer both headers are ignored. With
TRUSTED_PROXIES empty nothing is wrapped: the TCP peer is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Union

from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """`"10.0.0.1, 192.168.0.0/16"` -> networks (host bits allowed: `10.0.0.1/8` is `10.0.0.0/8`).

    Raises ValueError on an entry that is neither an address nor a network (a configuration error, where
    uvicorn alone would silently treat it as a literal host name that never matches)."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def trusted_hosts(spec: str | Iterable[str]) -> list[str]:
    """TRUSTED_PROXIES as uvicorn's `trusted_hosts`: canonical CIDRs, each IPv4 network also in its
    IPv4-mapped IPv6 form (a dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`)."""
    hosts: list[str] = []
    for network in parse_networks(spec):
        hosts.append(str(network))
        if isinstance(network, ipaddress.IPv4Network):
            hosts.append(str(ipaddress.ip_network(f"::ffff:{network.network_address}/{96 + network.prefixlen}")))
    return hosts


def proxy_headers(spec: str) -> list[Middleware]:
    """The middleware to put outermost in the app: none without trusted proxies."""
    hosts = trusted_hosts(spec)
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=hosts)] if hosts else []
