"""schemathesis hooks for conformance/run.sh (loaded through SCHEMATHESIS_HOOKS).

GraphQL mode's built-in `not_a_server_error` counts every resolver error that has a `path` and no
Apollo-style code (BAD_USER_INPUT, ...) as a server error. Our GraphQL errors carry the REST contract's
codes instead (NOT_FOUND, VALIDATION_FAILED, FORBIDDEN, ...: docs/REST contract, "GraphQL errors carry
the same extensions.code"), so that check calls a NOT_FOUND for an empty id a server error. This one
keeps its intent with our codes: a server error is an HTTP 5xx, an error without a code on a field
(what masking leaves of an unexpected exception), or a code whose HTTP status is 5xx in yourmusic.errors.
"""

from __future__ import annotations

import schemathesis

from yourmusic import errors

SERVER_CODES = {"INTERNAL_SERVER_ERROR"} | {
    cls.code for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.AppError) and cls.status >= 500
}


@schemathesis.check
def graphql_not_a_server_error(ctx, response, case):
    """No 5xx, and no GraphQL error that stands for a server-side failure."""
    if response.status_code >= 500:
        raise AssertionError(f"Server error: HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        raise AssertionError("The response is not JSON") from None
    if not isinstance(payload, dict):
        raise AssertionError("The response is not a JSON object")
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in SERVER_CODES or (code is None and "path" in error):
            raise AssertionError(f"GraphQL server error: {error.get('message')!r} (code {code})")
