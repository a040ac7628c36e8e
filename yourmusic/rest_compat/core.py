"""What a REST operation is, and how one is dispatched.

A route is data (`Operation`): path, methods, auth, the body/query models that document it and the
handler that calls a resolver. Routes for Starlette and the OpenAPI document are both generated
from the one table, so they cannot drift apart.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from yourmusic.context import Context
from yourmusic.db import database_unavailable
from yourmusic.errors import AppError, OAuthError, ServiceUnavailable, UnsupportedMediaType, ValidationFailed
from yourmusic.rest_compat.responses import JSONResponse, error_response, unexpected_error_response
from yourmusic.validation import Submitted, row_id

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger("yourmusic.rest")

OAUTH2 = "OAuth2"
UDT = "UDT"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def media_type(header: str | None) -> tuple[str, dict[str, str]]:
    """`Content-Type` split into its lower-cased type and its parameters (`charset` lower-cased too)."""
    kind, *rest = (header or "").split(";")
    params = {}
    for part in rest:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), params


@dataclass
class Call:
    """One REST request as a handler sees it."""

    request: Request
    ctx: Context
    _body: Any = field(default=None, repr=False)
    _body_read: bool = field(default=False, repr=False)

    def path(self, name: str) -> str:
        return self.request.path_params[name]

    def id(self, name: str) -> uuid.UUID:
        """A path id as the domain's UUID (a malformed one names no row: a 404 further down)."""
        return row_id(self.path(name))

    async def body(self, model: type[M]) -> Submitted[M]:
        """The JSON body as the input `model` (a domain input, or one under the contract's names),
        validated when the resolver asks."""
        return Submitted(model, await self.json())

    def query_as(self, model: type[M]) -> Submitted[M]:
        """The query string as the input `model`, validated when the resolver asks."""
        return Submitted(model, self.query)

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    async def json(self) -> Any:
        """The JSON body; an empty or malformed one is a 422 (Laravel's shape), never a 500."""
        if not self._body_read:
            raw = await self.request.body()
            try:
                self._body = orjson.loads(raw) if raw.strip() else {}
            except orjson.JSONDecodeError:
                raise ValidationFailed({"body": ["The request body must be valid JSON."]}) from None
            self._body_read = True
        return self._body


Handler = Callable[[Call], Awaitable[Response]]


def bearer_challenge(exc: AppError) -> str:
    """RFC 6750 §3: a bearer-protected route's 401 names the scheme; a token that was sent and refused
    adds `error="invalid_token"` (a missing one carries no error code)."""
    if exc.code == "UNAUTHENTICATED":
        return 'Bearer realm="yourmusic"'
    return 'Bearer realm="yourmusic", error="invalid_token"'


@dataclass(frozen=True)
class Operation:
    methods: tuple[str, ...]
    path: str
    handler: Handler
    operation_id: str
    summary: str
    tag: str
    graphql: str
    auth: tuple[str, ...] = ()
    auth_optional: bool = False
    headers: tuple[str, ...] = ()
    status: int = 200
    description: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | dict[str, Any] | None = None
    errors: tuple[int, ...] = ()
    media_type: str = JSON
    # Other answers of the same status, by media type (REST's cursor pages: `rest_compat/cursor.py`).
    alternates: tuple[tuple[str, type[BaseModel]], ...] = ()
    # What a request body may be sent as. JSON everywhere (a cross-site form or text/plain POST is a 415,
    # never read); the OAuth2 token endpoint also takes forms (RFC 6749 §4.4.2).
    consumes: tuple[str, ...] = (JSON,)
    oauth: bool = False  # errors in RFC 6749 §5.2's shape (the token endpoint)

    def unsupported_media_type(self) -> AppError:
        allowed = " or ".join(self.consumes)
        message = f"The request body must be sent as {allowed} (UTF-8)."
        if self.oauth:
            return OAuthError("invalid_request", message, status=UnsupportedMediaType.status)
        return UnsupportedMediaType(message)


async def check_media_type(op: Operation, request: Request) -> None:
    """415 for a body that is not one of `op.consumes` (JSON must be UTF-8, RFC 8259 §8.1).

    Checked before the handler runs: nothing is parsed, authenticated against or written. A request
    without a body (an empty PATCH) needs no content type.
    """
    if op.body is None or request.method not in BODY_METHODS:
        return
    kind, params = media_type(request.headers.get("content-type"))
    if kind in op.consumes and (kind != JSON or params.get("charset", "utf-8") == "utf-8"):
        return
    if not kind and not await request.body():
        return
    raise op.unsupported_media_type()


def endpoint(op: Operation) -> Callable[[Request], Awaitable[Response]]:
    container_key = "container"

    async def run(request: Request) -> Response:
        ctx = Context(request=request, container=getattr(request.app.state, container_key))
        try:
            await check_media_type(op, request)
            return await op.handler(Call(request=request, ctx=ctx))
        except AppError as exc:
            if exc.status == 401 and op.auth:
                return error_response(exc, {"WWW-Authenticate": bearer_challenge(exc)})
            return error_response(exc)
        except Exception as exc:
            if database_unavailable(exc):
                log.warning("database unavailable in %s %s: %s", request.method, op.path, type(exc).__name__)
                return error_response(ServiceUnavailable("The service is temporarily unavailable."))
            log.exception("unhandled error in %s %s", request.method, op.path)
            return unexpected_error_response()

    run.__name__ = op.operation_id
    return run


def starlette_routes(operations: list[Operation]) -> list[Route]:
    """One Starlette route per path, methods merged (several operations may share a path)."""
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        for method in op.methods:
            by_path.setdefault(op.path, {})[method] = op
    routes = []
    # A literal path beside a templated one (/api/playlists/search, /api/playlists/{playlist_id}): another
    # method on the literal path is a 405, not a lookup of the id "search" (schemathesis' unsupported_method).
    literal = {path: sorted(ops) for path, ops in by_path.items() if "{" not in path}
    for path, ops in by_path.items():
        handlers = {m: endpoint(o) for m, o in ops.items()}

        async def dispatch(request: Request, _h: dict = handlers, _templated: bool = "{" in path) -> Response:
            allowed = literal.get(request.url.path) if _templated else None
            if allowed and request.method not in allowed and not (request.method == "HEAD" and "GET" in allowed):
                return JSONResponse({"message": "Method not allowed.", "code": "METHOD_NOT_ALLOWED"},
                                    status_code=405, headers={"Allow": ", ".join(allowed)})
            handler = _h.get(request.method) or _h["GET"]  # HEAD is answered by GET
            return await handler(request)

        routes.append(Route(path, dispatch, methods=list(handlers)))
    return routes
