"""The Stripe sandbox on a real port for the tests, its webhooks caught by a small receiver (the
test app is reached over ASGI, not a port: tests replay what the receiver caught into the app), and
hand-built signed events."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import ThreadedServer, start_server
from yourmusic.integrations.stripe.sandbox import SandboxState, create_app, sign_payload

STRIPE_SECRET = "whsec_tests_secret"
STRIPE_KEY = "sk_test_tests"


class WebhookReceiver:
    """Keeps every delivery's raw body and headers, in arrival order (POST `path`)."""

    def __init__(self, path: str = "/hook") -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[bytes, dict[str, str]]] = []

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append((body, dict(request.headers)))
            return Response(status_code=200)

        self.app = Starlette(routes=[Route(path, hook, methods=["POST"])])

    def take(self) -> list[tuple[bytes, dict[str, str]]]:
        with self.lock:
            items, self.received = self.received, []
        return items


@dataclass
class StripeSandbox:
    server: ThreadedServer
    receiver_server: ThreadedServer
    receiver: WebhookReceiver

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self) -> SandboxState:
        return self.server.app.state.stripe_sandbox

    def stop(self) -> None:
        self.server.stop()
        self.receiver_server.stop()


def start_stripe_sandbox() -> StripeSandbox:
    receiver = WebhookReceiver()
    receiver_server = start_server(receiver.app)
    server = start_server(create_app(webhook_url=f"{receiver_server.url}/hook", webhook_secret=STRIPE_SECRET))
    return StripeSandbox(server, receiver_server, receiver)


def event(type_: str, obj: dict[str, Any], *, created: int | None = None, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": type_,
            "created": int(time.time()) if created is None else created, "api_version": "2024-06-20",
            "livemode": False, "data": {"object": obj}}


def signed(evt: dict | str, *, secret: str = STRIPE_SECRET, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    payload = evt if isinstance(evt, str) else orjson.dumps(evt).decode()
    return payload.encode(), {"Content-Type": "application/json",
                              "Stripe-Signature": sign_payload(payload, secret, at)}


async def deliver(http: httpx.AsyncClient, evt: dict, **kw: Any) -> httpx.Response:
    body, headers = signed(evt, **kw)
    return await http.post("/api/webhooks/stripe", content=body, headers=headers)


async def replay(http: httpx.AsyncClient, items: list[tuple[bytes, dict[str, str]]]) -> list[dict]:
    """Deliver what the sandbox sent, exactly as sent (raw body and signature), into the app."""
    out = []
    for body, headers in items:
        r = await http.post("/api/webhooks/stripe", content=body,
                            headers={"Content-Type": "application/json",
                                     "Stripe-Signature": headers["stripe-signature"]})
        assert r.status_code == 200, r.text
        out.append({"type": orjson.loads(body)["type"], **r.json()})
    return out
