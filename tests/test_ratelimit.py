"""The rate limiter (`services/ratelimit.py`, the `limits` package's fixed windows) on memory and on Redis:
exact counts under concurrency (atomic), Retry-After, windows that refused hits never extend, and a
Redis outage that lets hits through, logged. The sign-in limits over HTTP: tests/test_passwordless_limits.py."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from yourmusic.errors import RateLimited
from yourmusic.services.ratelimit import RateLimiter, build_limiter

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["memory", "redis"])
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], RateLimiter]]:
    """`make()` -> a limiter; on Redis every one made shares a fresh namespace (two instances, one Redis)."""
    namespace = f"ym-rl-test-{uuid.uuid4().hex[:8]}"
    made: list[RateLimiter] = []
    memory = build_limiter(None, namespace)

    def make() -> RateLimiter:
        if request.param == "memory":
            return memory
        limiter = build_limiter(REDIS_URL, namespace)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.close()
    if request.param == "redis":
        client = aioredis.from_url(REDIS_URL)
        try:
            keys = [k async for k in client.scan_iter(match=f"{namespace}*")]
            assert keys and not any(b"secret-name" in k for k in keys)  # names are hashed
            await client.delete(*keys)
        finally:
            await client.aclose()


async def outcome(limiter: RateLimiter, name: str, limit: int, window: int) -> int | None:
    """None when allowed, else the Retry-After seconds."""
    try:
        await limiter.hit(name, limit, window)
    except RateLimited as exc:
        return exc.retry_after
    return None


async def test_concurrent_hits_are_counted_exactly(limiters):
    first, second = limiters(), limiters()
    results = await asyncio.gather(*(outcome(l, "secret-name", 10, 30) for l in [first, second] * 25))
    assert results.count(None) == 10
    assert all(r is not None and 1 <= r <= 30 for r in results if r is not None) and len(results) == 50


async def test_retry_after_counts_down_and_the_window_reopens(limiters):
    limiter = limiters()
    assert await outcome(limiter, "secret-name", 1, 2) is None
    assert await outcome(limiter, "secret-name", 1, 2) == 2
    await asyncio.sleep(1.1)
    assert await outcome(limiter, "secret-name", 1, 2) == 1  # refused hits do not extend the window
    await asyncio.sleep(1.0)
    assert await outcome(limiter, "secret-name", 1, 2) is None
    assert await outcome(limiter, "another-name", 1, 2) is None  # budgets are separate


async def test_reset_forgets_a_budget(limiters):
    limiter = limiters()
    assert await outcome(limiter, "secret-name", 1, 60) is None
    assert await outcome(limiter, "secret-name", 1, 60) is not None
    await limiter.reset("secret-name", 1, 60)
    assert await outcome(limiter, "secret-name", 1, 60) is None


async def test_redis_down_lets_hits_through_logged(caplog):
    caplog.set_level(logging.WARNING, logger="yourmusic.ratelimit")
    limiter = build_limiter("redis://127.0.0.1:1/0", "ym-down")
    try:
        assert [await outcome(limiter, "secret-name", 1, 60) for _ in range(3)] == [None, None, None]
    finally:
        await limiter.close()
    assert caplog.text.count("rate limiter unavailable") == 3
