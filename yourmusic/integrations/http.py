"""What every upstream HTTP client shares: one pooled aiohttp session, timeouts, retries, a breaker.

The aggregator and the streaming server are reached the same way: one `ClientSession` per process
(keep-alive pool), bounded connect/total timeouts, retries with full-jitter backoff on failures worth
another try (`Retryable`: connection errors, 5xx), and a circuit breaker that makes a dead upstream
answer at once. Each client maps its upstream's answers to domain errors itself; this module only
runs the attempts. It imports nothing from the transports.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from yourmusic.integrations.aggregator.breaker import CircuitBreaker
from yourmusic.observability.metrics import observe_upstream

T = TypeVar("T")


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 1.0
    total_timeout: float = 5.0
    retries: int = 2
    backoff_base: float = 0.05
    backoff_cap: float = 0.5
    breaker_failures: int = 5
    breaker_reset: float = 10.0


class Retryable(Exception):
    """A failure worth another try (connection trouble, 5xx); carries the error to raise at the end."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class PooledHttpClient:
    """Session, backoff and breaker for one upstream; subclasses add the endpoints and error mapping."""

    integration = "upstream"  # the `integration` label of its metrics; subclasses name themselves

    def __init__(self, policy: HttpPolicy, session: aiohttp.ClientSession | None = None) -> None:
        self.policy = policy
        self._session = session
        self._owns_session = session is None
        self.breaker = CircuitBreaker(policy.breaker_failures, policy.breaker_reset, name=self.integration)
        self.calls: Counter[str] = Counter()  # upstream HTTP requests made, by endpoint

    def _session_or_new(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.policy.total_timeout, sock_connect=self.policy.connect_timeout)
            connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(timeout=timeout, connector=connector, raise_for_status=False)
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def _backoff(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^attempt)]."""
        return random.uniform(0, min(self.policy.backoff_cap, self.policy.backoff_base * 2**attempt))

    async def _attempts(
        self,
        once: Callable[[], Awaitable[T]],
        *,
        retries: int,
        unavailable: Callable[[], Exception],
        healthy: tuple[type[Exception], ...],
        fatal: tuple[type[Exception], ...],
    ) -> T:
        """Run `once` under the breaker: retry `Retryable`, stop at `fatal` (a failure), re-raise `healthy`
        (the upstream answered; the question was bad) as a success for the breaker."""
        if not self.breaker.allow():
            observe_upstream(self.integration, "short_circuited")
            raise unavailable()
        last: Exception = unavailable()
        for attempt in range(1 + max(0, retries)):
            if attempt:
                await asyncio.sleep(self._backoff(attempt))
            started = time.perf_counter()
            try:
                result = await once()
            except Retryable as exc:
                observe_upstream(self.integration, "retryable", time.perf_counter() - started)
                last = exc.error
                continue
            except healthy:
                observe_upstream(self.integration, "answered", time.perf_counter() - started)
                self.breaker.record_success()
                raise
            except fatal as exc:
                outcome = "timeout" if type(exc).__name__.endswith("Timeout") else "failed"
                observe_upstream(self.integration, outcome, time.perf_counter() - started)
                last = exc
                break
            observe_upstream(self.integration, "ok", time.perf_counter() - started)
            self.breaker.record_success()
            return result
        self.breaker.record_failure()
        raise last
