"""How events travel: in process (embedded default) or through Redis pub/sub (REDIS_URL set).

A bus has one receiver (the process's `Hub`), told of events for the topics it `listen`s to. Both
implementations deliver an event published anywhere to every process listening to its topic:

- `LocalBus`: this process only (one worker, the embedded default).
- `RedisBus`: one PUBLISH per event on channel `<namespace>:live:<topic>`; ONE pub/sub connection per
  process, subscribed to exactly the channels of the topics this process has subscribers for (SUBSCRIBE
  on the first local subscriber, UNSUBSCRIBE after the last), read by one task that hands each message to
  the receiver. Redis pub/sub is at most once: an event lost while the connection is down is not replayed
  (redis-py re-subscribes on reconnect; the next change brings the whole current entity again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from yourmusic.live.events import Event

log = logging.getLogger("yourmusic.live")

Receiver = Callable[[Event], None]


class Bus:
    """The interface: `publish` anywhere, `listen`/`forget` topics here, events go to `receiver`."""

    key: object

    def __init__(self) -> None:
        self.receiver: Receiver | None = None

    async def publish(self, event: Event) -> None:
        raise NotImplementedError

    async def listen(self, topic: str) -> None:
        """Start receiving `topic`'s events (the first local subscriber of it)."""

    async def forget(self, topic: str) -> None:
        """Stop receiving `topic`'s events (its last local subscriber left)."""

    async def close(self) -> None:
        """Release connections and tasks."""

    def _deliver(self, event: Event) -> None:
        if self.receiver is not None:
            self.receiver(event)


class LocalBus(Bus):
    """In-process delivery: `publish` hands the event to this process's receiver."""

    def __init__(self) -> None:
        super().__init__()
        self.key = self

    async def publish(self, event: Event) -> None:
        self._deliver(event)


class RedisBus(Bus):
    """Redis pub/sub delivery (see the module docstring). `url`: REDIS_URL; `namespace`: CACHE_NAMESPACE
    (instances sharing one Redis and namespace see each other's events)."""

    PUBLISH_TIMEOUT = 1.0  # seconds; a frozen Redis otherwise holds each write for redis-py's 5 s

    def __init__(self, url: str, namespace: str, *, client_factory: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        import redis.asyncio as aioredis

        self.key = (url, namespace)
        self.prefix = f"{namespace}:live:"
        factory = client_factory or (lambda u: aioredis.from_url(u))
        self._client = factory(url)
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._channels: set[str] = set()

    async def publish(self, event: Event) -> None:
        """One PUBLISH, given up after PUBLISH_TIMEOUT seconds (asyncio.TimeoutError): it runs in the
        after-commit step of a write, which still holds its database connection (and SQLite's write lock)."""
        await asyncio.wait_for(self._client.publish(self.prefix + event.topic, b""), self.PUBLISH_TIMEOUT)

    async def listen(self, topic: str) -> None:
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            channel = self.prefix + topic
            self._channels.add(channel)  # first: `forget` unsubscribes even a SUBSCRIBE cut short
            await self._pubsub.subscribe(channel)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="yourmusic-live-redis")

    async def forget(self, topic: str) -> None:
        async with self._lock:
            channel = self.prefix + topic
            if channel in self._channels and self._pubsub is not None:
                self._channels.discard(channel)
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        """The one reader of this process's pub/sub connection: each message to the receiver."""
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: retry (redis-py reconnects and re-subscribes)
                log.warning("live bus: Redis read failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                if not self._channels:
                    await asyncio.sleep(0.05)  # nothing subscribed: get_message returns at once
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            try:
                event = Event.from_topic(channel[len(self.prefix):])
            except ValueError:
                continue
            self._deliver(event)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._client.aclose()


def build_bus(redis_url: str | None, namespace: str) -> Bus:
    """RedisBus when REDIS_URL is set, else LocalBus."""
    return RedisBus(redis_url, namespace) if redis_url else LocalBus()


