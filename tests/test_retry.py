"""The one retry policy (`integrations/retry.py`, tenacity): its waits, its bounds, and that the upstream
HTTP clients follow it, counted against a failing local server. The SMTP sender's and the play
forwarder's attempts are counted in tests/mail/test_mail.py and tests/test_streaming.py."""

from __future__ import annotations

import asyncio

import pytest

from yourmusic.errors import AggregatorError
from yourmusic.integrations.aggregator.client import AggregatorClient, AggregatorConfig
from yourmusic.integrations.http import HttpPolicy
from yourmusic.integrations.retry import RetryPolicy


def test_waits_are_full_jitter_exponential_and_capped() -> None:
    policy = RetryPolicy(attempts=5, wait_initial=0.1, wait_max=0.3)
    for failures in range(1, 7):
        bound = min(0.3, 0.1 * 2 ** (failures - 1))
        draws = [policy.delay(failures) for _ in range(200)]
        assert all(0 <= d <= bound for d in draws)
        assert len(set(draws)) > 1  # jittered
    assert max(policy.delay(1) for _ in range(200)) <= 0.1 < max(policy.delay(3) for _ in range(200))


@pytest.mark.parametrize("attempts", [0, -1])
def test_at_least_one_attempt(attempts: int) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=attempts)
    with pytest.raises(ValueError):
        RetryPolicy(wait_max=-1)


@pytest.mark.parametrize("attempts", [1, 2, 4])
async def test_retrying_stops_after_the_policys_attempts_and_reraises(attempts: int) -> None:
    calls: list[float] = []

    async def failing() -> None:
        calls.append(asyncio.get_running_loop().time())
        raise ConnectionError(f"try {len(calls)}")

    policy = RetryPolicy(attempts=attempts, wait_initial=0.01, wait_max=0.02)
    with pytest.raises(ConnectionError, match=f"try {attempts}"):
        await policy.retrying(lambda exc: isinstance(exc, ConnectionError))(failing)
    assert len(calls) == attempts
    assert all(0 <= b - a <= 0.2 for a, b in zip(calls, calls[1:]))  # waited, within the cap (+ scheduling)


async def test_other_errors_and_cancellation_are_never_retried() -> None:
    calls = 0

    async def wrong() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug, not an outage")

    policy = RetryPolicy(attempts=5, wait_initial=0.01, wait_max=0.01)
    with pytest.raises(ValueError):
        await policy.retrying(lambda exc: isinstance(exc, ConnectionError))(wrong)
    assert calls == 1

    started = asyncio.Event()

    async def hangs() -> None:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.sleep(10)

    task = asyncio.create_task(policy.retrying(lambda exc: True)(hangs))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == 2  # retry_if says yes to everything, yet a cancelled call is not made again


@pytest.mark.parametrize("attempts", [1, 3, 5])
async def test_aggregator_client_makes_the_policys_attempts_on_5xx(upstream, aggregator_server, attempts):
    from tests.conftest import AGGREGATOR_KEY

    policy = HttpPolicy(total_timeout=2, retry=RetryPolicy(attempts=attempts, wait_initial=0.005, wait_max=0.01),
                        breaker_failures=100)
    client = AggregatorClient(AggregatorConfig(base_url=f"{aggregator_server.url}/1.2", consumer_key=AGGREGATOR_KEY,
                                               consumer_secret="unused", country="US", policy=policy))
    upstream.control.set_faults(fail_status=503, paths=["artist/details"])
    try:
        before = upstream.control.counts["artist/details"]
        with pytest.raises(AggregatorError):
            await client.get("artist/details", {"artistId": 1})
        assert upstream.control.counts["artist/details"] - before == attempts
        # A per-call override (the play log's POST is never retried blindly) still goes through the policy.
        before = upstream.control.counts["artist/details"]
        with pytest.raises(AggregatorError):
            await client.get("artist/details", {"artistId": 1}, retries=0)
        assert upstream.control.counts["artist/details"] - before == 1
    finally:
        upstream.control.clear_faults()
        await client.close()
