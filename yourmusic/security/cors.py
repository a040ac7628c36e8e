"""Cross-origin requests: Starlette's `CORSMiddleware`, told which origins each request may use.

Starlette does the protocol (preflights, `Vary`, allowed methods and headers, exposed headers); this
subclass only answers its `is_allowed_origin` question, per request:

- `CORS_ORIGINS` (operator-wide) are allowed for every tenant and every request;
- a preflight carries no credentials, so it passes for an origin any tenant allows;
- an actual request is checked against its own tenant: the tenant of a valid bearer token; without
  one, the tenant named by `X-Tenant`; a response for tenant B to an origin only tenant A allows
  carries no `Access-Control-Allow-Origin` (the browser withholds it from the page);
- a request naming no tenant (no valid token, no `X-Tenant`: the heartbeat, the token endpoint,
  sign-in calls that name their tenant in the body, signed segment URLs of the embedded streaming
  sandbox) is answered for any origin a preflight would pass.

No credentialed CORS: tokens travel in `Authorization`, never in cookies, so
`Access-Control-Allow-Credentials` is never sent. The origins of tenants come from the process's
`OriginDirectory` (memory, refreshed from the shared cache), never from the database per request.
"""

from __future__ import annotations

from collections.abc import Collection
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from yourmusic.errors import AppError
from yourmusic.observability.middleware import current_request_info
from yourmusic.principals import bearer_token, principal_from_token
from yourmusic.services.origin_directory import EMPTY, OriginSnapshot

ALLOW_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# What front-ends send beyond the CORS-safelisted headers (Apollo Client adds apollo-require-preflight).
ALLOW_HEADERS = ("Authorization", "Content-Type", "X-Tenant", "X-Request-Id", "Apollo-Require-Preflight")
EXPOSE_HEADERS = ("ETag", "Retry-After", "X-Request-Id")
MAX_AGE = 600  # seconds a browser may reuse a preflight's answer


@dataclass
class _Request:
    """What `is_allowed_origin` needs to know about the request being answered."""

    headers: Headers
    snapshot: OriginSnapshot
    container: Any
    preflight: bool

    def tenant_origins(self) -> frozenset[str] | None:
        """The origins of the request's own tenant, or None when the request names no tenant."""
        info = current_request_info()
        if info is not None and info.tenant is not None:  # the handler already verified the caller
            return self.snapshot.of_tenant(info.tenant)
        authorization = self.headers.get("authorization")
        if authorization is not None and self.container is not None:
            try:
                token = bearer_token(authorization)
                if token is not None:
                    return self.snapshot.of_tenant(str(principal_from_token(self.container.tokens, token).tenant_id))
            except AppError:
                pass  # a bad token names no tenant (the answer is a 401 anyway)
        slug = self.headers.get("x-tenant")
        if slug:
            return self.snapshot.of_slug(slug.strip())
        return None


_current: ContextVar[_Request | None] = ContextVar("yourmusic_cors_request", default=None)


class TenantCORSMiddleware(CORSMiddleware):
    """`origins`: CORS_ORIGINS, normalised (`security/origins.parse_origin_list`)."""

    def __init__(self, app: ASGIApp, *, origins: Collection[str] = ()) -> None:
        super().__init__(app, allow_origins=tuple(origins), allow_methods=ALLOW_METHODS,
                         allow_headers=ALLOW_HEADERS, expose_headers=EXPOSE_HEADERS,
                         allow_credentials=False, max_age=MAX_AGE)
        self._static = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" not in headers:
            await super().__call__(scope, receive, send)  # Starlette still adds `Vary: Origin`
            return
        container = getattr(getattr(scope.get("app"), "state", None), "container", None)  # None before startup
        snapshot = EMPTY if container is None else await container.cors.snapshot()
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        token = _current.set(_Request(headers, snapshot, container, preflight))
        try:
            await super().__call__(scope, receive, send)
        finally:
            _current.reset(token)

    def is_allowed_origin(self, origin: str) -> bool:
        if origin in self._static:
            return True
        request = _current.get()
        if request is None:
            return False
        if request.preflight:
            return origin in request.snapshot.anywhere
        own = request.tenant_origins()
        return origin in (request.snapshot.anywhere if own is None else own)

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's answer; a refused preflight in the contract's error shape instead of plain text."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        reason = bytes(response.body).decode()
        return JSONResponse({"message": f"{reason}.", "code": "CORS_NOT_ALLOWED"}, status_code=400, headers=headers)
