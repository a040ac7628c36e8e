"""Signing an HLS playlist (RFC 8216): every URI in it made absolute on the streaming server and signed.

A playlist carries URIs in two places: URI lines (a media segment, or the variant stream after
`#EXT-X-STREAM-INF`) and the `URI` attribute of tags. Both are rewritten, the tags through an
attribute-list parser (RFC 8216 §4.2) that changes only the URI value and keeps every other byte:

- RFC 8216: `EXT-X-KEY`, `EXT-X-MAP`, `EXT-X-MEDIA`, `EXT-X-I-FRAME-STREAM-INF`, `EXT-X-SESSION-DATA`,
  `EXT-X-SESSION-KEY`;
- Low-Latency HLS (RFC 8216bis): `EXT-X-PART`, `EXT-X-PRELOAD-HINT`, `EXT-X-RENDITION-REPORT`.

A URI of a scheme other than http(s) (`data:`, a key system's `skd:`) names nothing on the server and
is kept as it is. Anything this module cannot sign makes the whole playlist refused with
`StreamingError` (a 502 `STREAMING_ERROR`), never passed on half-signed: a URI outside the streaming
server, a malformed attribute list or URI attribute in one of those tags, or a URI-valued attribute
(`URI` or `*-URI`) in any other tag (`EXT-X-CONTENT-STEERING`'s `SERVER-URI`, a `DATERANGE`'s
`X-ASSET-URI`, ...).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from yourmusic.errors import StreamingError
from yourmusic.integrations.streaming.signing import signed_query

log = logging.getLogger("yourmusic.streaming")

URI_TAGS = frozenset({
    "EXT-X-KEY", "EXT-X-MAP", "EXT-X-MEDIA", "EXT-X-I-FRAME-STREAM-INF", "EXT-X-SESSION-DATA",
    "EXT-X-SESSION-KEY", "EXT-X-PART", "EXT-X-PRELOAD-HINT", "EXT-X-RENDITION-REPORT",
})
SERVER_SCHEMES = frozenset({"", "http", "https"})  # relative, or on a server: signed

# One attribute of an attribute list (§4.2): NAME=value, the value a quoted-string (no quote, CR or
# LF inside) or an unquoted token (integer, hex, float, enumerated string, resolution).
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"\r\n]*"|[^",\s]+)(,|$)')


class _Refused(Exception):
    """Why a playlist cannot be signed (a tag name and a reason, never a URI: no user data)."""


def parse_attributes(text: str) -> list[tuple[str, str, int, int]] | None:
    """An attribute list as (name, raw value, value start, value end) in order, offsets into `text`;
    None when it is not a well-formed attribute list (quoted values keep their quotes)."""
    found: list[tuple[str, str, int, int]] = []
    pos = 0
    while pos < len(text):
        match = _ATTRIBUTE.match(text, pos)
        if match is None or (match.group(3) == "," and match.end() == len(text)):
            return None
        found.append((match.group(1), match.group(2), match.start(2), match.end(2)))
        pos = match.end()
    return found or None


class ManifestSigner:
    """Rewrites the URIs of one playlist for one user and device.

    `manifest_url` is where the playlist was fetched (relative URIs resolve against it); `base_url` the
    streaming server's base: every URI must resolve under it, and is signed over its path below it
    (`signing.signed_query`), valid until `expires` (Unix seconds).
    """

    def __init__(self, manifest_url: str, base_url: str, secret: str, user: str, device: str,
                 expires: int) -> None:
        self.manifest_url = manifest_url
        self.base = urlsplit(base_url.rstrip("/"))
        self.secret = secret
        self.user = user
        self.device = device
        self.expires = expires

    def sign(self, text: str) -> str:
        """The playlist with every URI absolute and signed; raises StreamingError when one cannot be."""
        try:
            lines = [self._line(line) for line in text.splitlines()]
        except _Refused as why:
            log.warning("streaming playlist refused: %s", why)
            raise StreamingError(f"The streaming server's playlist cannot be signed: {why}") from None
        return "\n".join(lines) + "\n"

    def _line(self, line: str) -> str:
        stripped = line.strip()
        if not stripped:
            return line
        if not stripped.startswith("#"):
            return self._uri(stripped)
        if not stripped.startswith("#EXT"):
            return line  # a comment
        name, colon, value = stripped[1:].partition(":")
        if name in URI_TAGS:
            return f"#{name}:{self._tag(name, value)}" if colon else line
        attributes = parse_attributes(value) if colon else None
        if attributes and any(a == "URI" or a.endswith("-URI") for a, *_ in attributes):
            raise _Refused(f"{name} carries a URI this server does not know how to sign")
        return line

    def _tag(self, name: str, value: str) -> str:
        attributes = parse_attributes(value)
        if attributes is None:
            raise _Refused(f"{name} has a malformed attribute list")
        uris = [a for a in attributes if a[0] == "URI"]
        if len(uris) > 1:
            raise _Refused(f"{name} has more than one URI")
        if not uris:
            return value  # e.g. EXT-X-KEY:METHOD=NONE, EXT-X-MEDIA of a muxed rendition
        _, raw, start, end = uris[0]
        if len(raw) < 2 or not raw.startswith('"'):
            raise _Refused(f"{name} has an unquoted URI")
        return f'{value[:start]}"{self._uri(raw[1:-1])}"{value[end:]}'

    def _uri(self, uri: str) -> str:
        if urlsplit(uri).scheme.lower() not in SERVER_SCHEMES:
            return uri  # data:, skd:, ... : nothing to fetch from the server, nothing to sign
        target = urlsplit(urljoin(self.manifest_url, uri))
        base = self.base
        if (target.scheme, target.netloc) != (base.scheme, base.netloc) or not target.path.startswith(base.path + "/"):
            raise _Refused("a URI points outside the streaming server")
        query = signed_query(self.secret, target.path[len(base.path):], self.user, self.device, self.expires)
        if target.query:
            query = f"{target.query}&{query}"
        fragment = f"#{target.fragment}" if target.fragment else ""
        return f"{target.scheme}://{target.netloc}{target.path}?{query}{fragment}"


def sign_manifest(text: str, manifest_url: str, base_url: str, secret: str, user: str, device: str,
                  expires: int) -> str:
    """Every URI of an HLS playlist made absolute on the streaming server and signed for this user and
    device (see `ManifestSigner`); raises StreamingError (502) when one cannot be."""
    return ManifestSigner(manifest_url, base_url, secret, user, device, expires).sign(text)
