"""The shared cache on both backends: in-process memory and Redis (REDIS_URL)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from tests.servers import free_port
from yourmusic.cache import CacheStore, build_cache
from yourmusic.errors import AggregatorError, NotFound

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["memory", "redis"])
async def store(request):
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    backend = build_cache(REDIS_URL if request.param == "redis" else None, namespace)
    s = CacheStore(backend, stale_for=60)
    yield s
    await backend.clear(namespace=namespace)
    await s.close()


async def test_single_flight_and_fresh_hits(store):
    calls = 0

    async def load():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"n": calls}

    results = await asyncio.gather(*(store.fetch("k", 30, load) for _ in range(50)))
    assert calls == 1 and all(r == {"n": 1} for r in results)
    assert await store.fetch("k", 30, load) == {"n": 1} and calls == 1


async def test_errors_are_shared_and_not_cached(store):
    calls = 0

    async def failing():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise NotFound()

    outcomes = await asyncio.gather(*(store.fetch("gone", 30, failing) for _ in range(10)), return_exceptions=True)
    assert calls == 1 and all(isinstance(o, NotFound) for o in outcomes)
    with pytest.raises(NotFound):
        await store.fetch("gone", 30, failing)
    assert calls == 2


async def test_stale_entry_served_only_for_upstream_failures(store):
    await store.put("s", {"v": 1}, ttl=1)
    entry = await store.get_entry("s")
    entry["t"] = time.time() - 1
    await store.backend.set("s", entry, ttl=60)

    async def broken():
        raise AggregatorError()

    async def gone():
        raise NotFound()

    ok = lambda exc: isinstance(exc, AggregatorError)  # noqa: E731
    assert await store.fetch("s", 30, broken, ok) == {"v": 1}
    with pytest.raises(NotFound):
        await store.fetch("s", 30, gone, ok)
    with pytest.raises(AggregatorError):
        await store.fetch("never-cached", 30, broken, ok)


async def test_many_keys_round_trip(store):
    await store.put_many([("a", 1), ("b", None)], ttl=30)
    a, b, c = await store.get_entries(["a", "b", "c"])
    assert a["v"] == 1 and b["v"] is None and c is None
    assert store.is_fresh(a) and store.is_fresh(b)


async def test_namespaces_keep_entries_apart():
    one = CacheStore(build_cache(REDIS_URL, f"ns1-{uuid.uuid4().hex[:6]}"), 60)
    two = CacheStore(build_cache(REDIS_URL, f"ns2-{uuid.uuid4().hex[:6]}"), 60)
    await one.put("same", "one", 30)
    assert await two.get_entry("same") is None
    await one.backend.clear(namespace=one.backend.namespace)
    await one.close()
    await two.close()


async def test_redis_down_degrades_to_pass_through():
    s = CacheStore(build_cache(f"redis://127.0.0.1:{free_port()}/0", "down"), 60)

    async def load():
        return 42

    assert await s.fetch("k", 30, load) == 42
    assert await s.get_entries(["a", "b"]) == [None, None]
    await s.close()
