"""A small circuit breaker: after N consecutive failures the upstream is not called for a while.

A dead upstream then answers in microseconds instead of every request waiting out its timeout.
After `reset_after` seconds one trial call is let through (half-open); success closes the circuit.
"""

from __future__ import annotations

import time
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failure_threshold: int, reset_after: float, clock=time.monotonic,
                 name: str | None = None) -> None:
        self.failure_threshold = max(1, failure_threshold)
        self.name = name  # named: its state is published as a metric on every change
        self._published: BreakerState | None = None
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

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

    def allow(self) -> bool:
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def allow_probe(self) -> bool:
        """A health probe may run unless the circuit is open and not yet due for a trial."""
        return self.state is not BreakerState.OPEN

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False
        if self._published is not BreakerState.CLOSED and self.name is not None:
            self._publish(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._trial_running = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            if self.name is not None:
                self._publish(BreakerState.OPEN)
