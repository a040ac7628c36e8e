"""The Stripe gateway: the official SDK's async client, configured once per process.

Only the calls billing needs. Every Stripe failure (unreachable, timeout, 5xx, an error answer)
becomes `StripeUnavailable`; a missing object is `StripeNotFound`. Imports nothing from the transports.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from yourmusic.observability.metrics import observe_upstream

if TYPE_CHECKING:
    import stripe

log = logging.getLogger("yourmusic.stripe")


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the call; nothing was (knowingly) created."""


class StripeNotFound(Exception):
    """Stripe answered that the object does not exist."""


@dataclass(frozen=True)
class StripeConfig:
    api_key: str
    api_base: str
    timeout: float = 10.0
    max_network_retries: int = 1


class StripeGateway:
    """The SDK's client is built on the first call: importing `stripe` costs a cold start ~0.3 s."""

    def __init__(self, config: StripeConfig) -> None:
        self.config = config
        self._http: stripe.AIOHTTPClient | None = None

    @cached_property
    def client(self) -> stripe.StripeClient:
        import aiohttp
        import stripe

        # aiohttp is already a runtime dependency; the session is made lazily inside the running loop.
        self._http = stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=self.config.timeout))
        return stripe.StripeClient(
            self.config.api_key,
            base_addresses={"api": self.config.api_base.rstrip("/")},
            http_client=self._http,
            max_network_retries=self.config.max_network_retries,
        )

    async def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        import stripe

        started = time.perf_counter()
        try:
            obj = await fn(*args, **kwargs)
        except stripe.InvalidRequestError as exc:
            observe_upstream("stripe", "answered", time.perf_counter() - started)
            if exc.http_status == 404 or exc.code == "resource_missing":
                raise StripeNotFound(what) from None
            log.warning("stripe %s refused: %s", what, exc.user_message or type(exc).__name__)
            raise StripeUnavailable(what) from None
        except stripe.StripeError as exc:
            observe_upstream("stripe", "failed", time.perf_counter() - started)
            log.warning("stripe %s failed: %s (HTTP %s)", what, type(exc).__name__, exc.http_status)
            raise StripeUnavailable(what) from None
        except Exception as exc:  # noqa: BLE001 - a transport error the SDK did not wrap
            observe_upstream("stripe", "failed", time.perf_counter() - started)
            log.warning("stripe %s failed: %s", what, type(exc).__name__)
            raise StripeUnavailable(what) from None
        observe_upstream("stripe", "ok", time.perf_counter() - started)
        return obj.to_dict()

    async def create_customer(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return await self._call("customer create", self.client.v1.customers.create_async,
                                params=params, options={"idempotency_key": idempotency_key})

    async def create_checkout_session(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return await self._call("checkout session create", self.client.v1.checkout.sessions.create_async,
                                params=params, options={"idempotency_key": idempotency_key})

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        return await self._call("subscription retrieve", self.client.v1.subscriptions.retrieve_async,
                                subscription_id)

    async def payment_method(self, payment_method_id: str) -> dict[str, Any]:
        return await self._call("payment method retrieve", self.client.v1.payment_methods.retrieve_async,
                                payment_method_id)

    async def close(self) -> None:
        try:
            if self._http is not None and self._http._cached_session is not None:  # no call made: nothing to close
                await self._http.close_async()
        except Exception:  # noqa: BLE001
            pass
