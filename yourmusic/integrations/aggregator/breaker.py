"""A circuit breaker: after N failed calls in a row the upstream is not called for a while.

A dead upstream then answers in microseconds instead of every request waiting out its timeout.
After `reset_after` seconds one trial call is let through (half-open); its success closes the
circuit, its failure opens it again. Used by every pooled HTTP client (aggregator, streaming).

Why not a library: purgatory 3.0 and aiobreaker 1.2 (the asyncio breakers on PyPI) let every
concurrent caller through while half-open, and have no neutral outcome: a cancelled call (a client
that disconnected) counts either as a failure (it opens the circuit on a healthy upstream) or, when
excluded, as a success (it closes the circuit on a dead one). Here a call is a `BreakerCall` context:
it is settled explicitly (`succeeded` / `failed`), and leaving the block unsettled (cancellation, an
unexpected error) judges nothing and frees the half-open trial for the next caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerCall:
    """One call the breaker admitted; use as `with call: ...` and settle it inside the block.

    `succeeded()` / `failed()` report the upstream's health; a block left without either (the task was
    cancelled, or an error that says nothing about the upstream escaped) releases the call without a
    verdict, so a half-open circuit lets the next caller make the trial.
    """

    __slots__ = ("_breaker", "_settled")

    def __init__(self, breaker: CircuitBreaker) -> None:
        self._breaker = breaker
        self._settled = False

    def succeeded(self) -> None:
        """The upstream answered (even if the answer was "not found"): close the circuit."""
        self._settled = True
        self._breaker.record_success()

    def failed(self) -> None:
        """The upstream failed or timed out (after any retries): count one failure."""
        self._settled = True
        self._breaker.record_failure()

    def __enter__(self) -> BreakerCall:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._settled:
            self._breaker._release(self)


class CircuitBreaker:
    """Counts consecutive failures of one upstream; `admit()` is asked before every call.

    `failure_threshold` failed calls in a row open the circuit; `reset_after` seconds later it is
    half-open and admits one trial call at a time. `clock` (monotonic seconds) is injectable for tests.
    Named breakers publish their state as the `yourmusic_circuit_breaker_state` gauge on every change.
    Not thread-safe: one event loop per breaker.
    """

    def __init__(self, failure_threshold: int, reset_after: float, clock: Callable[[], float] = time.monotonic,
                 name: str | None = None) -> None:
        self.failure_threshold = max(1, failure_threshold)
        self.reset_after = reset_after
        self.name = name
        self._clock = clock
        self._published: BreakerState | None = None
        self._failures = 0
        self._opened_at: float | None = None
        self._trial: BreakerCall | None = None  # the half-open trial in flight, if any

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            state = BreakerState.CLOSED
        elif self._clock() - self._opened_at >= self.reset_after:
            state = BreakerState.HALF_OPEN
        else:
            state = BreakerState.OPEN
        if state is not self._published and self.name is not None:
            self._publish(state)
        return state

    def _publish(self, state: BreakerState) -> None:
        from yourmusic.observability.metrics import set_breaker_state

        self._published = state
        set_breaker_state(self.name or "", state.value)

    def admit(self) -> BreakerCall | None:
        """A call slot, or None when the circuit refuses: open, or half-open with its trial in flight."""
        state = self.state
        if state is BreakerState.CLOSED:
            return BreakerCall(self)
        if state is BreakerState.HALF_OPEN and self._trial is None:
            self._trial = BreakerCall(self)
            return self._trial
        return None

    def allow_probe(self) -> bool:
        """A health probe may run unless the circuit is open and not yet due for a trial."""
        return self.state is not BreakerState.OPEN

    def record_success(self) -> None:
        """The upstream is healthy: close the circuit (also used by health probes and test resets)."""
        self._failures = 0
        self._opened_at = None
        self._trial = None
        if self._published is not BreakerState.CLOSED and self.name is not None:
            self._publish(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """One failed call: opens the circuit at the threshold, or again after a failed trial."""
        self._trial = None
        self._failures += 1
        if self._opened_at is not None or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            if self.name is not None:
                self._publish(BreakerState.OPEN)

    def _release(self, call: BreakerCall) -> None:
        """An unsettled call ended: if it was the trial, the next caller may make one."""
        if self._trial is call:
            self._trial = None
