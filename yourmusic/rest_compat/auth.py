"""#3 the OAuth2 token endpoint and #4 user delegation tokens."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

import orjson
from pydantic import Field
from starlette.responses import Response

from yourmusic.errors import OAuthError
from yourmusic.resolvers import auth
from yourmusic.rest_compat.core import OAUTH2, Call, Operation
from yourmusic.rest_compat.names import DEVICE, contract_input
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.rest_compat.shapes import ClientTokenOut, DelegationTokenOut
from yourmusic.services.client_auth import DeviceRef
from yourmusic.validation import Input


UdtRequest = contract_input(DeviceRef, "UdtRequest", DEVICE)


class TokenRequest(Input):
    grant_type: str = Field(json_schema_extra={"enum": ["client_credentials"]})
    client_id: str
    client_secret: str


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret."""
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Client authentication failed.", status=401) from None
    cid, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Client authentication failed.", status=401)
    return unquote(cid), unquote(secret)


async def _token_params(call: Call) -> dict[str, Any]:
    content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await call.request.body()
    if content_type == "application/x-www-form-urlencoded":
        form = await call.request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise OAuthError("invalid_request", "The request body must be JSON or form data.") from None
    if not isinstance(body, dict):
        raise OAuthError("invalid_request", "The request body must be an object.")
    return body


async def issue_token(call: Call) -> Response:
    params = await _token_params(call)
    basic = _basic_credentials(call.request.headers.get("authorization"))
    client_id, secret = basic if basic else (params.get("client_id"), params.get("client_secret"))
    token = await auth.issue_client_token(call.ctx, params.get("grant_type"), client_id, secret)
    return JSONResponse(
        ClientTokenOut.dump(token), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


async def mint_udt(call: Call) -> Response:
    token = await auth.mint_user_delegation_token(call.ctx, call.id("user_id"), await call.body(UdtRequest))
    return JSONResponse(DelegationTokenOut.dump(token), headers={"Cache-Control": "no-store"})


OPERATIONS = [
    Operation(("POST",), "/api/oauth/token", issue_token, "issueClientToken", "Issue OAuth2 client token",
              "Authentication", "Mutation.issueClientToken", body=TokenRequest, response=ClientTokenOut,
              description="Client credentials token endpoint accepting JSON (preferred), form data or HTTP Basic.",
              errors=(400, 401)),
    Operation(("POST",), "/api/users/{user_id}/udt", mint_udt, "mintUserDelegationToken",
              "Mint a User Delegation Token", "Authentication", "Mutation.mintUserDelegationToken",
              auth=(OAUTH2,), body=UdtRequest, response=DelegationTokenOut,
              description="Issues a UDT for the specified user/device using client credentials.",
              errors=(401, 403, 404, 422)),
]
