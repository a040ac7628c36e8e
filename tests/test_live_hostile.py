"""Live updates (#19) under hostile or odd input, through the WebSocket as a client sends it: malformed
messages, frame types, message size, the persisted-query allow-list, and the hub's bookkeeping when its
bus fails."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid

import pytest

from tests.wsclient import Closed, connect
from yourmusic.errors import ServiceUnavailable
from yourmusic.live.bus import LocalBus
from yourmusic.live.events import playlist_changed
from yourmusic.live.hub import Hub

ME = "subscription { meChanged { id } }"


async def _user_token(api, tenant) -> str:
    user = await api.create_user(tenant)
    return await api.udt(tenant, user["id"])


def _caller_connections(app) -> int:
    return sum(app.state.container.live.connections._open.values())


MALFORMED = {
    "a JSON array": "[]",
    "a JSON string": '"subscribe"',
    "a JSON number": "1",
    "JSON null": "null",
    "type not a string": json.dumps({"type": ["subscribe"]}),
    "payload a string": json.dumps({"id": "1", "type": "subscribe", "payload": "{ heartbeat }"}),
    "payload null": json.dumps({"id": "1", "type": "subscribe", "payload": None}),
    "id a list": json.dumps({"id": [1], "type": "subscribe", "payload": {"query": ME}}),
    "id a number": json.dumps({"id": 1, "type": "subscribe", "payload": {"query": ME}}),
    "id empty": json.dumps({"id": "", "type": "subscribe", "payload": {"query": ME}}),
    "query a number": json.dumps({"id": "1", "type": "subscribe", "payload": {"query": 123}}),
    "variables a list": json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ME, "variables": [1]}}),
    "operationName a number": json.dumps({"id": "1", "type": "subscribe",
                                          "payload": {"query": ME, "operationName": 5}}),
    "extensions a string": json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ME, "extensions": "x"}}),
    "complete with a list id": json.dumps({"id": ["1"], "type": "complete"}),
    "ping with a string payload": json.dumps({"type": "ping", "payload": "x"}),
}


@pytest.mark.parametrize("frame", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_message_closes_4400_and_logs_no_error(app, api, tenant, frame, caplog):
    token = await _user_token(api, tenant)
    ws = await connect(app, token)
    try:
        with caplog.at_level(logging.WARNING):
            await ws.send_raw(frame)
            with pytest.raises(Closed) as closed:
                await ws.message()
        assert closed.value.code == 4400
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []  # no stack trace
    finally:
        await ws.__aexit__()
    assert _caller_connections(app) == 0


async def test_a_well_formed_operation_still_runs_with_null_optional_fields(app, api, tenant):
    token = await _user_token(api, tenant)
    ws = await connect(app, token)
    try:
        await ws.send({"id": "1", "type": "subscribe",
                       "payload": {"query": ME, "variables": None, "operationName": None, "extensions": None}})
        assert (await ws.message())["type"] == "next"
        await ws.send({"type": "ping", "payload": {"at": 1}})
        assert await ws.message() == {"type": "pong"}
    finally:
        await ws.__aexit__()


async def test_a_message_larger_than_max_body_bytes_closes_1009_unparsed(app_with, api, tenant):
    http = app_with(max_body_bytes=4096)
    token = await _user_token(api, tenant)
    ws = await connect(http.app, token)
    try:
        padded = "{ heartbeat }" + " " * 5000  # a valid document, padded past the limit
        await ws.subscribe("1", padded)
        with pytest.raises(Closed) as closed:
            await ws.message()
        assert closed.value.code == 1009
    finally:
        await ws.__aexit__()
    ws = await connect(http.app, token)  # a message within the limit runs
    try:
        await ws.subscribe("2", "{ heartbeat }" + " " * 3000)
        assert (await ws.message())["type"] == "next"
    finally:
        await ws.__aexit__()


def _sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def test_the_allowlist_applies_on_the_websocket(app_with, api, tenant, tmp_path):
    listed = "subscription Me { meChanged { id } }"
    path = tmp_path / "persisted-queries.json"
    path.write_text(json.dumps({_sha(listed): listed}))
    http = app_with(graphql_persisted_queries="allowlist", persisted_queries_file=str(path))
    token = await _user_token(api, tenant)
    ws = await connect(http.app, token)
    try:
        for id, payload in (("unlisted", {"query": "subscription { meChanged { id email } }"}),
                            ("mutation", {"query": "mutation { __typename }"})):
            await ws.send({"id": id, "type": "subscribe", "payload": payload})
            message = await ws.message()
            assert message["type"] == "error" and message["id"] == id, message
            assert [e["extensions"]["code"] for e in message["payload"]] == ["PERSISTED_QUERY_NOT_ALLOWED"]
        # listed: by hash (Apollo's extension) or in full
        await ws.send({"id": "hash", "type": "subscribe", "payload": {
            "query": "", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(listed)}}}})
        message = await ws.message()
        assert message["type"] == "next" and message["id"] == "hash", message
        await ws.send({"id": "full", "type": "subscribe", "payload": {"query": listed}})
        message = await ws.message()
        assert message["type"] == "next" and message["id"] == "full", message
    finally:
        await ws.__aexit__()


class _FailingBus(LocalBus):
    """A bus whose `listen` fails the first `failures` times (Redis away), or waits on `gate`."""

    def __init__(self, failures: int = 0, gate: asyncio.Event | None = None) -> None:
        super().__init__()
        self.failures, self.gate, self.listened = failures, gate, 0

    async def listen(self, topic: str) -> None:
        self.listened += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("bus away")


async def _loaded(event):
    return {"id": event.entity_id}


async def test_a_failed_listen_leaves_no_topic_behind_and_the_next_watcher_listens_again():
    bus = _FailingBus(failures=1)
    hub = Hub(bus, {"playlist": _loaded, "user": _loaded})
    change = playlist_changed(uuid.uuid4(), uuid.uuid4())
    try:
        with pytest.raises(ServiceUnavailable):
            async with hub.watch(change):
                pass
        assert hub.topics == 0
        async with hub.watch(change) as watcher:
            assert bus.listened == 2  # listened again: the first attempt never took
            await bus.publish(change)
            assert await asyncio.wait_for(watcher.next(), 2) == {"id": change.entity_id}
        assert hub.topics == 0
    finally:
        await hub.close()


async def test_a_watch_cancelled_while_listening_leaves_no_topic_behind():
    gate = asyncio.Event()
    bus = _FailingBus(gate=gate)
    hub = Hub(bus, {"playlist": _loaded, "user": _loaded})
    change = playlist_changed(uuid.uuid4(), uuid.uuid4())

    async def subscriber() -> None:
        async with hub.watch(change):
            await asyncio.sleep(10)

    try:
        task = asyncio.create_task(subscriber())
        await asyncio.sleep(0.05)  # inside listen
        task.cancel()  # the client completed its subscription at once
        with pytest.raises(asyncio.CancelledError):
            await task
        assert hub.topics == 0
    finally:
        gate.set()
        await hub.close()


async def test_a_hung_redis_does_not_hold_the_write_that_publishes(caplog):
    """Redis accepting connections but answering nothing (a frozen server): `publish` gives up after
    RedisBus.PUBLISH_TIMEOUT (logged), so the after-commit step of a write (which holds its database
    connection, and SQLite's write lock) ends."""
    from yourmusic.live import events
    from yourmusic.live.bus import RedisBus

    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bus = RedisBus(f"redis://127.0.0.1:{port}/0", f"ym-hung-{uuid.uuid4().hex[:8]}")
    events.attach(bus)
    try:
        started = asyncio.get_running_loop().time()
        with caplog.at_level(logging.WARNING, logger="yourmusic.live"):
            await asyncio.wait_for(events.publish(playlist_changed(uuid.uuid4(), uuid.uuid4())), 10)
        assert asyncio.get_running_loop().time() - started < RedisBus.PUBLISH_TIMEOUT + 1
        assert any("not published" in r.getMessage() for r in caplog.records)
    finally:
        events.detach(bus)
        for writer in accepted:
            writer.close()
        server.close()
        await bus.close()


async def test_subscribe_complete_cycles_on_redis_leave_nothing_behind(app, use_container, api, tenant, caplog):
    """Hundreds of subscribe/complete pairs on one connection, each `complete` landing at another point of
    its subscription's start (the Redis SUBSCRIBE, the cache reads on Redis: aiocache's `wait_for` may
    swallow the cancellation on Python 3.11), then a disconnect: no topic, channel or connection count is
    left, and nothing is logged as an error."""
    import redis.asyncio as aioredis

    namespace = f"ym-live-{uuid.uuid4().hex[:8]}"
    container = use_container(redis_url="redis://127.0.0.1:6379/15", cache_namespace=namespace)
    token = await _user_token(api, tenant)
    r = await api.http.post("/api/playlists", json={"playlist_name": "Cycles", "public": False},
                            headers={"Authorization": f"Bearer {token}"})
    pid = r.json()["id"]
    query = "subscription ($id: ID!) { playlistChanged(id: $id) { id } }"
    ws = await connect(app, token)
    try:
        for i in range(300):
            await ws.subscribe(str(i), query, {"id": pid})
            await asyncio.sleep(0.0005 * (i % 7))  # the complete lands at varying points of the subscribe
            await ws.send({"id": str(i), "type": "complete"})
        with caplog.at_level(logging.WARNING):
            await ws.quiet(0.5)
    finally:
        await ws.__aexit__()
    await asyncio.sleep(0.2)
    # (asyncio's own "Future exception was never retrieved" for an asyncpg connect cut short by a cancel is
    # asyncpg's, on any cancelled request: not counted here)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name != "asyncio"] == []
    assert container.live.topics == 0 and _caller_connections(app) == 0
    client = aioredis.from_url("redis://127.0.0.1:6379/15")
    try:
        assert await client.pubsub_channels(f"{namespace}:live:*") == []
    finally:
        await client.aclose()
