"""A pure ASGI middleware (no BaseHTTPMiddleware: no extra task or body buffering per request).

Per HTTP request it:
- takes the request id from `X-Request-Id` when it looks sane (<= 128 of `[A-Za-z0-9._-]`), else makes
  one; keeps it in a contextvar (every log line of the request carries it) and echoes it back;
- times the request and counts it in the Prometheus metrics by route template, method and status;
- writes one access line: method, path (never the query string: tokens and codes may travel there),
  route template, status, duration, tenant and principal kind. The tenant and principal are recorded
  by the request's `Context` when it resolves the caller (`RequestInfo`, via a contextvar).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yourmusic.observability.logging import JsonFormatter, access_line, request_id_var
from yourmusic.observability.metrics import HttpMetrics

access_log = logging.getLogger("yourmusic.access")

_SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def _access_stream() -> Any:
    """The stream of the handler access lines would reach, when that is one plain JSON stream handler
    (how `serve` configures logging); None otherwise, and the line goes through `logging` as usual."""
    logger: logging.Logger | None = access_log
    while logger is not None:
        if logger.handlers:
            handlers = logger.handlers
            if (len(handlers) == 1 and type(handlers[0]) is logging.StreamHandler
                    and isinstance(handlers[0].formatter, JsonFormatter)
                    and handlers[0].level <= logging.INFO and not handlers[0].filters and not logger.filters):
                return handlers[0].stream
            return None
        logger = logger.parent if logger.propagate else None
    return None


class RequestInfo:
    """What the handler learnt about the caller, for the access line."""

    __slots__ = ("tenant", "principal")

    def __init__(self) -> None:
        self.tenant: str | None = None
        self.principal: str = "anonymous"

    def record(self, principal: Any) -> None:
        if principal is None:
            return
        self.principal = getattr(principal, "kind", "unknown")
        tenant = getattr(principal, "tenant_id", None)
        self.tenant = None if tenant is None else str(tenant)


request_info_var: ContextVar[RequestInfo | None] = ContextVar("yourmusic_request_info", default=None)


def current_request_info() -> RequestInfo | None:
    return request_info_var.get()


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, access: bool = True, metrics: bool = True) -> None:
        self.app = app
        self.access = access
        self.metrics = HttpMetrics() if metrics else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                if _SANE_ID.fullmatch(value):
                    rid = value.decode("ascii")
                break
        if rid is None:
            rid = uuid.uuid4().hex
        rid_header = (b"x-request-id", rid.encode("ascii"))
        info = RequestInfo()
        rid_token = request_id_var.set(rid)
        info_token = request_info_var.set(info)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            if self.metrics is not None:
                self.metrics.observe(method, template, status, seconds)
            if self.access and access_log.isEnabledFor(logging.INFO):
                fields = {"request_id": rid, "method": method, "path": scope["path"], "route": template,
                          "status": status, "duration_ms": round(seconds * 1000, 2), "tenant": info.tenant,
                          "principal": info.principal}
                message = f"{method} {scope['path']} {status}"
                stream = _access_stream()
                if stream is not None:
                    # The same JSON line JsonFormatter makes, written directly: the LogRecord and
                    # handler machinery cost about a fifth of a warm request (bench/perf.py, py-spy).
                    stream.write(access_line(message, fields))
                else:
                    access_log.info(message, extra=fields)
            request_info_var.reset(info_token)
            request_id_var.reset(rid_token)
