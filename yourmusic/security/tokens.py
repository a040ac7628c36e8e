"""Signed JWT access tokens (joserfc, Ed25519, `kid`-selected keys, issuer + audience checked).

Three uses share one format: `client` (a tenant backend), `udt` (a user delegation token minted by
a tenant backend for one user and device) and `access` (a session token from email-OTP sign-in).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey
from joserfc.jwt import JWTClaimsRegistry

ALGORITHMS = ["Ed25519"]


class TokenError(Exception):
    """Any reason a presented token is not acceptable; never carries the token itself."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    use: str
    tenant_id: uuid.UUID
    subject: str
    expires_at: int
    device_id: uuid.UUID | None = None
    family_id: uuid.UUID | None = None


def generate_key_set() -> dict[str, Any]:
    key = OKPKey.generate_key("Ed25519", parameters={"kid": uuid.uuid4().hex[:16]}, private=True)
    return KeySet([key]).as_dict(private=True)


def signing_keys_file(data_dir: Path) -> Path:
    """Where the embedded default keeps its generated key set."""
    return data_dir / "signing-keys.json"


def load_key_set(configured: str | None, data_dir: Path) -> KeySet:
    """The configured JWKS, or (embedded default) one generated once and kept in the data folder."""
    if configured:
        return KeySet.import_key_set(json.loads(configured))
    path = signing_keys_file(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(generate_key_set(), fh)
    return KeySet.import_key_set(json.loads(path.read_text()))


class TokenService:
    def __init__(self, keys: KeySet, issuer: str, audience: str, cache_size: int = 10_000) -> None:
        if not keys.keys:
            raise ValueError("the signing key set is empty")
        self._keys = keys
        self._signing_kid = keys.keys[0].kid
        self._issuer = issuer
        self._audience = audience
        self._cache_size = cache_size
        self._verified: OrderedDict[str, TokenClaims] = OrderedDict()
        self._registry = JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            tid={"essential": True},
            use={"essential": True},
        )

    def issue(
        self,
        use: str,
        tenant_id: uuid.UUID,
        subject: str,
        ttl: int,
        *,
        device_id: uuid.UUID | None = None,
        family_id: uuid.UUID | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "sub": subject,
            "tid": str(tenant_id),
            "use": use,
        }
        if device_id is not None:
            claims["did"] = str(device_id)
        if family_id is not None:
            claims["fam"] = str(family_id)
        header = {"alg": ALGORITHMS[0], "kid": self._signing_kid}
        return jwt.encode(header, claims, self._keys, algorithms=ALGORITHMS)

    def verify(self, token: str) -> TokenClaims:
        """Signature (only Ed25519, never `none`), then issuer, audience, expiry and our claims.

        A token verified before is answered from a small in-process cache (the signature check is the
        costliest step of a warm request); its expiry is still checked on every use.
        """
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                self._verified.move_to_end(token)
                return cached
            del self._verified[token]
        claims = self._verify(token)
        self._verified[token] = claims
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> TokenClaims:
        try:
            decoded = jwt.decode(token, self._keys, algorithms=ALGORITHMS)
            self._registry.validate(decoded.claims)
            claims = decoded.claims
            return TokenClaims(
                use=str(claims["use"]),
                tenant_id=uuid.UUID(str(claims["tid"])),
                subject=str(claims["sub"]),
                expires_at=int(claims["exp"]),
                device_id=uuid.UUID(str(claims["did"])) if "did" in claims else None,
                family_id=uuid.UUID(str(claims["fam"])) if "fam" in claims else None,
            )
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise TokenError(type(exc).__name__) from None
