"""What every upstream HTTP client shares: one pooled aiohttp session, timeouts, retries, a breaker.

The aggregator and the streaming server are reached the same way: one `ClientSession` per process
(keep-alive pool), bounded connect/total timeouts, retries under the app's one `RetryPolicy` (tenacity,
full jitter) on failures worth another try (`Retryable`: connection errors, 5xx), and a circuit breaker
that makes a dead upstream answer at once (one verdict per call, after its retries). Each client maps its upstream's answers to domain errors itself; this module only
runs the attempts. It imports nothing from the transports.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from yourmusic.integrations.aggregator.breaker import BreakerCall, CircuitBreaker
from yourmusic.integrations.retry import RetryPolicy
from yourmusic.observability.metrics import observe_upstream

if TYPE_CHECKING:
    import aiohttp

T = TypeVar("T")


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts (seconds), the retries of one call (3 attempts: the first and 2 retries, waits of
    50-500 ms), and the breaker (failed calls in a row that open it, seconds before a trial)."""

    connect_timeout: float = 1.0
    total_timeout: float = 5.0
    retry: RetryPolicy = RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.5)
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
        """The pooled session, made by the first call (aiohttp is imported then, not at start: issue 17.9)."""
        if self._session is None or self._session.closed:
            import aiohttp

            timeout = aiohttp.ClientTimeout(total=self.policy.total_timeout, sock_connect=self.policy.connect_timeout)
            connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(timeout=timeout, connector=connector, raise_for_status=False)
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def _attempts(
        self,
        once: Callable[[], Awaitable[T]],
        *,
        attempts: int | None,
        unavailable: Callable[[], Exception],
        healthy: tuple[type[Exception], ...],
        fatal: tuple[type[Exception], ...],
    ) -> T:
        """Run `once` under the breaker and the retry policy (`attempts` tries; None: the policy's):
        `Retryable` is retried, then its error raised; `fatal` stops at once (a failure); `healthy` (the
        upstream answered, the question was bad) is re-raised and counts as a success for the breaker.
        A cancelled call (the client went away) is no verdict: a half-open trial is freed for the next
        caller. An open circuit raises `unavailable()` without calling."""
        call = self.breaker.admit()
        if call is None:
            observe_upstream(self.integration, "short_circuited")
            raise unavailable()
        with call:
            retrying = self.policy.retry.retrying(lambda exc: isinstance(exc, Retryable), attempts=attempts)
            try:
                return await retrying(self._observed, once, call, healthy, fatal)
            except Retryable as exc:
                call.failed()
                raise exc.error from None

    async def _observed(self, once: Callable[[], Awaitable[T]], call: BreakerCall,
                        healthy: tuple[type[Exception], ...], fatal: tuple[type[Exception], ...]) -> T:
        """One attempt: its outcome and duration as metrics, success and fatal failure settled on `call`."""
        started = time.perf_counter()
        try:
            result = await once()
        except Retryable:
            observe_upstream(self.integration, "retryable", time.perf_counter() - started)
            raise
        except healthy:
            observe_upstream(self.integration, "answered", time.perf_counter() - started)
            call.succeeded()
            raise
        except fatal as exc:
            outcome = "timeout" if type(exc).__name__.endswith("Timeout") else "failed"
            observe_upstream(self.integration, outcome, time.perf_counter() - started)
            call.failed()
            raise
        observe_upstream(self.integration, "ok", time.perf_counter() - started)
        call.succeeded()
        return result
