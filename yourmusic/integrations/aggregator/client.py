"""aiohttp client for a 7digital API 1.2-style aggregator.

One `ClientSession` per process (pooled keep-alive connections), bounded connect/total timeouts,
GET retries with jittered exponential backoff on connection errors and 5xx only, and a circuit
breaker (all from `integrations.http.PooledHttpClient`, shared with the streaming client). Upstream answers become domain errors here, so nothing above sees HTTP details:
2001 -> NotFound, 1001/1002 -> ValidationFailed, timeouts -> AggregatorTimeout, anything else
broken -> AggregatorError. This module imports nothing from the transports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
from authlib.oauth1 import ClientAuth

from yourmusic.errors import AggregatorError, AggregatorTimeout, NotFound, ValidationFailed
from yourmusic.integrations.aggregator import errors as codes
from yourmusic.integrations.http import HttpPolicy, PooledHttpClient, Retryable

if TYPE_CHECKING:
    import aiohttp  # imported by the first call (integrations/http.py), not at start

log = logging.getLogger("yourmusic.aggregator")


@dataclass(frozen=True)
class AggregatorConfig:
    base_url: str
    consumer_key: str
    consumer_secret: str
    country: str = "US"
    policy: HttpPolicy = HttpPolicy()


class AggregatorClient(PooledHttpClient):
    integration = "aggregator"

    def __init__(self, config: AggregatorConfig, session: aiohttp.ClientSession | None = None) -> None:
        super().__init__(config.policy, session)
        self.config = config
        self._base = config.base_url.rstrip("/")

    def url(self, endpoint: str, params: Mapping[str, Any], *, key_in_query: bool = True) -> str:
        query = {k: query_value(v) for k, v in params.items() if v is not None}
        query.setdefault("country", self.config.country)
        if key_in_query:
            query["oauth_consumer_key"] = self.config.consumer_key
        return f"{self._base}/{endpoint}?{urlencode(sorted(query.items()))}"

    async def get(self, endpoint: str, params: Mapping[str, Any], *, timeout: float | None = None,
                  retries: int | None = None) -> dict[str, Any]:
        """One catalogue call, with retries, the breaker, and the error mapping."""
        return await self._request("GET", endpoint, params, timeout=timeout, retries=retries)

    async def post_signed(self, endpoint: str, params: Mapping[str, Any], body: Any) -> dict[str, Any]:
        """A call the upstream wants OAuth 1.0-signed (subscriber play logs). Never retried blindly.

        The consumer key travels in the Authorization header only (OAuth 1.0 wants the protocol
        parameters in one place), and the JSON body is covered by `oauth_body_hash`.
        """
        return await self._request("POST", endpoint, params, body=body, sign=True, retries=0)

    async def _request(self, method: str, endpoint: str, params: Mapping[str, Any], *, body: Any = None,
                       sign: bool = False, timeout: float | None = None, retries: int | None = None) -> dict[str, Any]:
        url = self.url(endpoint, params, key_in_query=not sign)
        return await self._attempts(
            lambda: self._once(method, endpoint, url, body, sign, timeout),
            attempts=None if retries is None else 1 + retries,
            unavailable=lambda: AggregatorError("The catalog service is unavailable."),
            healthy=(NotFound, ValidationFailed),
            fatal=(AggregatorError, AggregatorTimeout),
        )

    async def _once(self, method: str, endpoint: str, url: str, body: Any, sign: bool,
                    timeout: float | None) -> dict[str, Any]:
        session = self._session_or_new()
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        if sign:
            signer = ClientAuth(self.config.consumer_key, self.config.consumer_secret)
            url, signed, _ = signer.sign(method, url, dict(headers), data or b"")
            headers.update(signed)
        self.calls[endpoint] += 1
        import aiohttp  # loaded by the session (`_session_or_new`)
        import yarl

        kwargs: dict[str, Any] = {"headers": headers, "data": data}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, self.config.policy.connect_timeout))
        started = time.perf_counter()
        try:
            async with session.request(method, yarl.URL(url, encoded=True), **kwargs) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            log.warning("aggregator %s timed out after %.2fs", endpoint, time.perf_counter() - started)
            raise AggregatorTimeout() from None
        except aiohttp.ClientError as exc:
            log.warning("aggregator %s connection failed: %s", endpoint, type(exc).__name__)
            raise Retryable(AggregatorError()) from None
        return self._interpret(endpoint, status, raw)

    @staticmethod
    def _interpret(endpoint: str, status: int, raw: bytes) -> dict[str, Any]:
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict):
            log.warning("aggregator %s answered %s with a body that is not a JSON object", endpoint, status)
            if status >= 500:
                raise Retryable(AggregatorError())
            raise AggregatorError("The catalog service answered with something unreadable.")
        if payload.get("status") == "ok" and status < 400:
            return payload
        error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
        code = error.get("code")
        message = str(error.get("errorMessage") or "")[:200]
        if code == codes.NOT_FOUND or (status == 404 and code is None):
            raise NotFound(message or "Not found.")
        if code in (codes.MISSING_PARAMETER, codes.INVALID_VALUE):
            raise ValidationFailed({"query": [message or "The given parameters were invalid."]})
        if code == codes.TIMEOUT or status == 504:
            raise AggregatorTimeout()
        log.warning("aggregator %s failed: HTTP %s, code %s", endpoint, status, code)
        if status >= 500:
            raise Retryable(AggregatorError())
        raise AggregatorError()

    async def probe(self, timeout: float) -> bool:
        """Is the upstream answering? A short, unretried call that bypasses the breaker's bookkeeping."""
        session = self._session_or_new()
        import aiohttp
        import yarl

        url = f"{self._base}/status?{urlencode({'oauth_consumer_key': self.config.consumer_key})}"
        self.calls["status"] += 1
        try:
            async with session.get(yarl.URL(url, encoded=True),
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                payload = orjson.loads(await response.read())
                up = response.status == 200 and isinstance(payload, dict) and payload.get("status") == "ok"
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError):
            return False
        if up:
            self.breaker.record_success()  # it answers again: stop refusing calls
        return up


def query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
