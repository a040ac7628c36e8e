"""Random secrets, their digests at rest, and constant-time comparison."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from joserfc.jwk import KeySet


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret (default 256 bits) from the OS CSPRNG."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 hex digest. Enough for high-entropy random secrets (no password stretching needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """Constant-time check of a presented secret against a stored digest."""
    return hmac.compare_digest(digest(secret), stored_digest)


def derive_key(keys: KeySet, label: bytes) -> bytes:
    """A 256-bit key for one purpose (`label`), derived one-way (HMAC-SHA256) from the first signing key's
    private part: every instance sharing SIGNING_KEYS derives the same, and a key rotation replaces it.
    Raises ValueError when the key set has no private key."""
    private = keys.keys[0].as_dict(private=True).get("d")
    if not isinstance(private, str):
        raise ValueError("the signing key has no private part to derive a key from")
    material = base64.urlsafe_b64decode(private + "=" * (-len(private) % 4))
    return hmac.new(label, material, hashlib.sha256).digest()
