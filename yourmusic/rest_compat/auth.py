"""#3 the OAuth2 token endpoint and #4 user delegation tokens."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from pydantic import Field
from starlette.responses import Response

from yourmusic.errors import OAuthError
from yourmusic.resolvers import auth
from yourmusic.rest_compat.core import FORM, JSON, OAUTH2, Call, Operation, media_type
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


class _RepeatedParameter(ValueError):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once (json's `object_pairs_hook`)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedParameter(key)
        out[key] = value
    return out


def _repeated(name: str) -> OAuthError:
    return OAuthError("invalid_request", f"The {name} parameter must not be repeated.")


async def _token_params(call: Call) -> dict[str, Any]:
    """The body's parameters, each given at most once (RFC 6749 §3.2), from a form or a JSON object.

    The content type was checked before (JSON or form, else 415). A repeated parameter, JSON that does
    not parse or is not an object, is `invalid_request`.
    """
    kind, _ = media_type(call.request.headers.get("content-type"))
    if kind == FORM:
        params: dict[str, Any] = {}
        for key, value in (await call.request.form()).multi_items():
            if key in params:
                raise _repeated(key)
            params[key] = value if isinstance(value, str) else None  # a file part is no parameter
        return params
    raw = await call.request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, object_pairs_hook=_unique_object)
    except _RepeatedParameter as exc:
        raise _repeated(str(exc)) from None
    except (ValueError, RecursionError):
        raise OAuthError("invalid_request", "The request body must be JSON or form data.") from None
    if not isinstance(body, dict):
        raise OAuthError("invalid_request", "The request body must be an object.")
    return body


def _client_credentials(basic: tuple[str, str] | None, params: dict[str, Any]) -> tuple[Any, Any]:
    """The client id and secret from exactly one authentication method (RFC 6749 §2.3).

    HTTP Basic and a `client_secret` in the body together are `invalid_request`, as is a body
    `client_id` naming another client than the Basic one. Empty parameters count as absent (§3.1).
    """
    if basic is None:
        return params.get("client_id"), params.get("client_secret")
    if params.get("client_secret") not in (None, ""):
        raise OAuthError("invalid_request", "Use one client authentication method: HTTP Basic or client_secret "
                         "in the body, not both.")
    if params.get("client_id") not in (None, "", basic[0]):
        raise OAuthError("invalid_request", "The client_id parameter does not match the HTTP Basic client.")
    return basic


async def issue_token(call: Call) -> Response:
    params = await _token_params(call)
    client_id, secret = _client_credentials(_basic_credentials(call.request.headers.get("authorization")), params)
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
              description="Client credentials token endpoint accepting JSON (preferred), form data or HTTP Basic. "
              "Each parameter at most once, and one client authentication method per request (HTTP Basic or "
              "`client_secret` in the body): otherwise 400 `invalid_request` (RFC 6749 §2.3, §3.2).",
              errors=(400, 401), consumes=(JSON, FORM), oauth=True),
    Operation(("POST",), "/api/users/{user_id}/udt", mint_udt, "mintUserDelegationToken",
              "Mint a User Delegation Token", "Authentication", "Mutation.mintUserDelegationToken",
              auth=(OAUTH2,), body=UdtRequest, response=DelegationTokenOut,
              description="Issues a UDT for the specified user/device using client credentials.",
              errors=(401, 403, 404, 422)),
]
