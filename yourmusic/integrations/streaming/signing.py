"""Signed segment URLs: an HMAC over path, user, device and expiry, shared by the API and the server.

The API signs each segment URI of a manifest for the user and device that asked for it; the
streaming server (the sandbox here, a CDN edge in production) recomputes the HMAC with the shared
secret and refuses a URL that is altered (another user, device, path or expiry), forged or expired.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

SIGNED_PARAMS = ("user", "device", "exp", "sig")


def field_signature(secret: str | bytes, *fields: str) -> str:
    """Hex HMAC-SHA256 of `fields`, newline-separated (no field may contain a newline): the one MAC of
    every signed URL (segments here, the API's own signed manifest links in `security/stream_links.py`)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, "\n".join(fields).encode(), hashlib.sha256).hexdigest()


def signature_matches(expected: str, sig: str) -> bool:
    """Whether `sig`, any text a caller sent, is the hex signature `expected` (constant time). Compared
    as UTF-8 bytes: a non-ASCII `sig` is a mismatch, not the TypeError `compare_digest` raises on str."""
    return hmac.compare_digest(expected.encode(), sig.encode("utf-8", "surrogatepass"))


def segment_signature(secret: str, path: str, user: str, device: str, expires: int) -> str:
    """The signature of one segment URL: path (below the server's base), user, device, expiry (Unix s)."""
    return field_signature(secret, path, user, device, str(expires))


def signed_query(secret: str, path: str, user: str, device: str, expires: int) -> str:
    sig = segment_signature(secret, path, user, device, expires)
    return urlencode({"user": user, "device": device, "exp": str(expires), "sig": sig})


def verify_segment(secret: str, path: str, user: str | None, device: str | None, exp: str | None,
                   sig: str | None, now: float | None = None) -> str | None:
    """None when the URL is good; otherwise why it is refused ("missing", "expired", "signature")."""
    if not user or device is None or not exp or not sig:
        return "missing"
    if "\n" in user or "\n" in device or not (exp.isascii() and exp.isdigit()):
        return "signature"
    expected = segment_signature(secret, path, user, device, int(exp))
    if not signature_matches(expected, sig):
        return "signature"
    if int(exp) <= (time.time() if now is None else now):
        return "expired"
    return None
