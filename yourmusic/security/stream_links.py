"""Signed stream links: a manifest URL that carries its own short-lived credential.

Players that cannot send an `Authorization` header (Safari's and iOS's native HLS, `<audio src>`,
Chromecast, AirPlay) get a URL instead: its query names the tenant, user, device and (for a session
access token) the session family it was minted for, and its expiry, under an HMAC-SHA256 over those and
the stream id (`integrations.streaming.signing.field_signature`, the MAC of every signed URL). The key is
the API's own (derived from SIGNING_KEYS), never the streaming server's secret: a streaming server or CDN
that verifies segment URLs cannot mint manifest links.

`sign` makes the query; `verify` turns a presented query back into the `UserPrincipal` it was minted
for, or raises the contract's 401s (`UNAUTHENTICATED` when no signature was sent, `INVALID_AUTH_TOKEN`
when it is altered, forged, for another stream or expired).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from yourmusic.errors import InvalidAuthToken, Unauthenticated
from yourmusic.integrations.streaming.signing import field_signature, signature_matches
from yourmusic.principals import UserPrincipal

LABEL = b"yourmusic/stream-link/v1"  # the key derivation's label (security.secrets.derive_key)
_PURPOSE = "stream-link/v1"  # the first signed field: a signature made for anything else never matches
LINK_PARAMS = ("tenant", "user", "device", "session", "exp", "sig")


class StreamLinkSigner:
    """Signs and verifies stream links with one key (at least 256 bits)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the stream link key must be at least 256 bits")
        self._key = key

    def __repr__(self) -> str:
        return "StreamLinkSigner(<key>)"

    def _signature(self, stream_id: uuid.UUID, tenant: str, user: str, device: str, session: str, exp: str) -> str:
        return field_signature(self._key, _PURPOSE, str(stream_id), tenant, user, device, session, exp)

    def sign(self, principal: UserPrincipal, stream_id: uuid.UUID, expires: int) -> str:
        """The link's query string (`tenant=&user=&device=&session=&exp=&sig=`) for this user, device and
        session family on this stream, valid until `expires` (Unix seconds)."""
        fields = {
            "tenant": str(principal.tenant_id),
            "user": str(principal.user_id),
            "device": str(principal.device_id) if principal.device_id else "",
            "session": str(principal.family_id) if principal.family_id else "",
            "exp": str(expires),
        }
        return urlencode({**fields, "sig": self._signature(stream_id, **fields)})

    def verify(self, stream_id: uuid.UUID, query: Mapping[str, str], now: float | None = None) -> UserPrincipal:
        """The principal a link was minted for. UNAUTHENTICATED (401) without a signature;
        INVALID_AUTH_TOKEN (401) when any signed field, the stream or the expiry was changed, the
        signature is forged, or the link has expired (checked after the signature: an altered expiry
        is a bad signature, not an expired link)."""
        sig = query.get("sig")
        if not sig:
            raise Unauthenticated()
        fields = {name: query.get(name, "") for name in LINK_PARAMS[:-1]}
        exp = fields["exp"]
        if any("\n" in value for value in fields.values()) or not (exp.isascii() and exp.isdigit()):
            raise InvalidAuthToken("The stream link is invalid.")  # fields are newline-joined; "²".isdigit()
        expected = self._signature(stream_id, **fields)
        if not signature_matches(expected, sig):
            raise InvalidAuthToken("The stream link is invalid.")
        if int(fields["exp"]) <= (time.time() if now is None else now):
            raise InvalidAuthToken("The stream link has expired.")
        try:
            return UserPrincipal(
                tenant_id=uuid.UUID(fields["tenant"]), user_id=uuid.UUID(fields["user"]),
                device_id=uuid.UUID(fields["device"]) if fields["device"] else None,
                family_id=uuid.UUID(fields["session"]) if fields["session"] else None,
            )
        except ValueError:  # signed by us, so never; kept so a bug is a 401, not a 500
            raise InvalidAuthToken("The stream link is invalid.") from None
