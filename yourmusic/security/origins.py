"""Web origins (RFC 6454) as CORS compares them: `scheme://host[:port]`, nothing else.

One strict parser for every origin we store or configure (a tenant's list, `CORS_ORIGINS`). The
result is the serialisation a browser sends in its `Origin` header, so an allowed origin is a plain
string comparison: scheme and host in lowercase, the scheme's default port dropped
(`HTTPS://App.Example:443` -> `https://app.example`). Refused: other schemes, a path (even a lone
`/`), a query, a fragment, user information, wildcards, `null`, non-ASCII hosts (send the IDNA
`xn--` form, as browsers do), ports outside 1-65535, and malformed host names or IP addresses.
"""

from __future__ import annotations

import ipaddress
import re

MAX_ORIGIN_LENGTH = 300  # "https://" + a 253-character host + ":65535", with room to spare

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ORIGIN = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>\[[^\]]*\]|[^:/?#\[\]]*)(?::(?P<port>[0-9]{1,5}))?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class BadOrigin(ValueError):
    """Raised for a string that is not an http(s) origin; the message completes "The origin ..."."""


def _host(raw: str) -> str:
    host = raw.lower()
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise BadOrigin("must name a valid IPv6 address in brackets") from None
        return f"[{address.compressed}]"
    if not host or len(host) > 253:
        raise BadOrigin("must name a host")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise BadOrigin("must name a valid IPv4 address") from None
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise BadOrigin("must name a valid host (letters, digits, dashes and dots; IDNA hosts in xn-- form)")
    return host


def parse_origin(raw: str) -> str:
    """The normalised origin `raw` names (shape above), or BadOrigin saying what is wrong with it."""
    if not isinstance(raw, str) or not raw:
        raise BadOrigin("must be an origin such as https://app.example.com")
    if len(raw) > MAX_ORIGIN_LENGTH:
        raise BadOrigin(f"must not be longer than {MAX_ORIGIN_LENGTH} characters")
    if not raw.isascii() or re.search(r"[\x00-\x20\x7f\\]", raw):
        raise BadOrigin("must not contain spaces, backslashes, control or non-ASCII characters")
    if "*" in raw:
        raise BadOrigin("must not contain wildcards: list each origin")
    match = _ORIGIN.match(raw)
    if match is None:
        raise BadOrigin("must be an origin such as https://app.example.com")
    scheme = match["scheme"].lower()
    if scheme not in _DEFAULT_PORTS:
        raise BadOrigin("must use the http or https scheme")
    if "@" in raw:
        raise BadOrigin("must not contain user information")
    if match.end() != len(raw):
        raise BadOrigin("must not have a path, query or fragment (not even a trailing /)")
    host = _host(match["host"])
    origin = f"{scheme}://{host}"
    if match["port"] is not None:
        port = int(match["port"])
        if not 1 <= port <= 65535:
            raise BadOrigin("must have a port between 1 and 65535")
        if port != _DEFAULT_PORTS[scheme]:
            origin += f":{port}"
    return origin


def parse_origin_list(csv: str) -> tuple[str, ...]:
    """`CORS_ORIGINS`: comma-separated origins (empty: none), normalised and deduplicated in order.

    Raises ValueError naming the first bad entry (the server refuses to start with it).
    """
    origins: list[str] = []
    for entry in (part.strip() for part in csv.split(",")):
        if not entry:
            continue
        try:
            origins.append(parse_origin(entry))
        except BadOrigin as exc:
            raise ValueError(f"CORS_ORIGINS: the origin {entry!r} {exc}") from None
    return tuple(dict.fromkeys(origins))
