"""Checkout redirect URLs: a tenant's allowed patterns, and the check that keeps them from being an
open redirect.

A pattern is an absolute http(s) URL: scheme, host and port are matched exactly; its path is a
prefix (on segment boundaries: `/billing` allows `/billing` and `/billing/done`, not `/billingx`)
or, when it contains `*`, a wildcard (`*` matches any run of characters). A URL's query string is
free. Refused outright, whatever the patterns: userinfo (`user@`), backslashes, whitespace or
control characters, non-ASCII, a host-relative `//host`, encoded slashes or dots, and `.`/`..`
segments (they could walk out of an allowed prefix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2048
_SCHEMES = {"http": 80, "https": 443}
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_ENCODED_TRICKS = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$")


class BadUrl(ValueError):
    pass


@dataclass(frozen=True)
class Parsed:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str, *, pattern: bool = False) -> Parsed:
    """The parts of an absolute http(s) URL, or BadUrl for anything that could redirect elsewhere."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise BadUrl("must be an absolute http or https URL")
    if not url.isascii() or _BAD_CHARS.search(url):
        raise BadUrl("must not contain spaces, backslashes, control or non-ASCII characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not url.lower().startswith(scheme + "://"):
        raise BadUrl("must be an absolute http or https URL")
    netloc = parts.netloc
    if not netloc or "@" in netloc:
        raise BadUrl("must name a host, without user information")
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host) or "%" in netloc or "*" in netloc:
        raise BadUrl("must name a valid host")
    try:
        port = parts.port or _SCHEMES[scheme]
    except ValueError:
        raise BadUrl("must have a valid port") from None
    path = parts.path or "/"
    if _ENCODED_TRICKS.search(path) or any(seg in (".", "..") for seg in path.split("/")):
        raise BadUrl("must not contain dot segments or encoded slashes")
    if pattern and (parts.query or parts.fragment or "?" in url or "#" in url):
        raise BadUrl("a pattern has no query or fragment")
    if "*" in path and not pattern:
        raise BadUrl("must not contain *")
    return Parsed(scheme, host, port, path)


def _path_matches(pattern_path: str, path: str) -> bool:
    if "*" in pattern_path:
        regex = ".*".join(re.escape(piece) for piece in pattern_path.split("*"))
        return re.fullmatch(regex, path) is not None
    prefix = pattern_path.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def matches(url: str, patterns: list[str]) -> bool:
    try:
        target = parse_url(url)
    except BadUrl:
        return False
    for raw in patterns:
        try:
            pat = parse_url(raw, pattern=True)
        except BadUrl:
            continue
        if (pat.scheme, pat.host, pat.port) == (target.scheme, target.host, target.port) and _path_matches(
            pat.path, target.path
        ):
            return True
    return False
