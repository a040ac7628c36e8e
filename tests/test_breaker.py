"""The circuit breaker (`integrations/aggregator/breaker.py`): its states on a fake clock, then through a
real upstream client against the sandbox aggregator: a cancelled half-open trial (a client that went
away) frees the trial for the next caller, a timeout opens the circuit, and the circuit recovers."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import AGGREGATOR_KEY
from yourmusic.errors import AggregatorError, AggregatorTimeout
from yourmusic.integrations.aggregator.breaker import BreakerState, CircuitBreaker
from yourmusic.integrations.aggregator.client import AggregatorClient, AggregatorConfig
from yourmusic.integrations.http import HttpPolicy
from yourmusic.integrations.retry import RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def opened(clock: Clock, failures: int = 2) -> CircuitBreaker:
    breaker = CircuitBreaker(failures, 10, clock=clock)
    for _ in range(failures):
        call = breaker.admit()
        assert call is not None
        with call:
            call.failed()
    assert breaker.state is BreakerState.OPEN
    return breaker


def test_failures_in_a_row_open_it_and_a_success_in_between_resets_the_count() -> None:
    breaker = CircuitBreaker(2, 10, clock=Clock())
    for settle in ("failed", "succeeded", "failed"):
        with breaker.admit() as call:  # type: ignore[union-attr]
            getattr(call, settle)()
    assert breaker.state is BreakerState.CLOSED
    with breaker.admit() as call:  # type: ignore[union-attr]
        call.failed()
    assert breaker.state is BreakerState.OPEN and breaker.admit() is None


def test_half_open_admits_one_trial_at_a_time() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now = 10
    assert breaker.state is BreakerState.HALF_OPEN
    trial = breaker.admit()
    assert trial is not None and breaker.admit() is None  # a second caller waits for the verdict
    with trial:
        trial.failed()
    assert breaker.state is BreakerState.OPEN and breaker.admit() is None  # reopened for another 10 s
    clock.now = 20
    with breaker.admit() as trial:  # type: ignore[union-attr]
        trial.succeeded()
    assert breaker.state is BreakerState.CLOSED


@pytest.mark.parametrize("leave", [asyncio.CancelledError, KeyError])
def test_an_unsettled_trial_frees_the_slot_without_a_verdict(leave: type[BaseException]) -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now = 10
    trial = breaker.admit()
    assert trial is not None
    with pytest.raises(leave):
        with trial:
            raise leave()  # cancelled (the client went away), or an error that says nothing about the upstream
    assert breaker.state is BreakerState.HALF_OPEN  # neither closed nor reopened
    nxt = breaker.admit()
    assert nxt is not None
    stale = trial
    stale.__exit__(None, None, None)  # the old trial leaving again never frees the new one
    assert breaker.admit() is None
    with nxt:
        nxt.succeeded()
    assert breaker.state is BreakerState.CLOSED


# --------------------------------------------------------------------------- through a real client


@pytest.fixture
async def client(aggregator_server, upstream):
    """An aggregator client with its own breaker: one failure opens it, 0.3 s until a trial, 0.5 s timeout."""
    policy = HttpPolicy(total_timeout=0.5, connect_timeout=0.5, retry=RetryPolicy(attempts=1),
                        breaker_failures=1, breaker_reset=0.3)
    made = AggregatorClient(AggregatorConfig(base_url=f"{aggregator_server.url}/1.2", consumer_key=AGGREGATOR_KEY,
                                             consumer_secret="unused", policy=policy))
    yield made
    upstream.control.clear_faults()
    await made.close()


def calls(upstream) -> int:
    return upstream.control.counts["artist/details"]


async def details(client: AggregatorClient) -> dict:
    return await client.get("artist/details", {"artistId": 1})


async def open_circuit(client: AggregatorClient, upstream) -> None:
    upstream.control.set_faults(fail_status=503, paths=["artist/details"])
    with pytest.raises(AggregatorError):
        await details(client)
    assert client.breaker.state is BreakerState.OPEN
    before = calls(upstream)
    with pytest.raises(AggregatorError, match="unavailable"):
        await details(client)  # short-circuited: the upstream is not called
    assert calls(upstream) == before


async def test_a_cancelled_half_open_trial_lets_the_next_call_try(client, upstream):
    await open_circuit(client, upstream)
    await asyncio.sleep(0.35)
    upstream.control.set_faults(latency=5.0, paths=["artist/details"])  # healthy but slow
    before = calls(upstream)
    trial = asyncio.create_task(details(client))
    while calls(upstream) == before:  # the trial reached the upstream
        await asyncio.sleep(0.01)
    with pytest.raises(AggregatorError, match="unavailable"):
        await details(client)  # while the trial is in flight, others are refused at once
    trial.cancel()  # the client that asked went away
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert client.breaker.state is BreakerState.HALF_OPEN
    upstream.control.clear_faults()
    assert (await details(client))["artist"]["id"]  # the next call is the trial, and it closes the circuit
    assert client.breaker.state is BreakerState.CLOSED


async def test_a_timeout_opens_the_circuit_and_it_recovers(client, upstream):
    upstream.control.set_faults(latency=2.0, paths=["artist/details"])
    with pytest.raises(AggregatorTimeout):
        await details(client)
    assert client.breaker.state is BreakerState.OPEN
    with pytest.raises(AggregatorError, match="unavailable"):
        await details(client)
    await asyncio.sleep(0.35)
    with pytest.raises(AggregatorTimeout):
        await details(client)  # the trial times out too: open again
    assert client.breaker.state is BreakerState.OPEN
    upstream.control.clear_faults()
    await asyncio.sleep(0.35)
    assert (await details(client))["artist"]["id"]
    assert client.breaker.state is BreakerState.CLOSED
    assert (await details(client))["artist"]["id"]
