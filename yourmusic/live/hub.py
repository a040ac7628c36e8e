"""One process's subscribers, by topic: each event's entity is loaded once and shared by all of them.

`Hub.watch(topic)` gives a `Watcher` for as long as a subscription lives. An event for a topic with
watchers here reloads the entity ONCE (`loaders[kind]`: the row, or None when deleted) and offers that
object to every watcher of the topic; each subscription then applies its caller's visibility in memory.
Events arriving while a reload runs are coalesced into one more reload.

A watcher holds only the latest state (a slot, not a queue): a slow consumer skips intermediate states
rather than growing memory, which is right because every message is the whole current entity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from yourmusic.errors import ServiceUnavailable
from yourmusic.live import events
from yourmusic.live.bus import Bus
from yourmusic.live.connections import ConnectionCounts
from yourmusic.live.events import Event

log = logging.getLogger("yourmusic.live")

Loader = Callable[[Event], Awaitable[Any]]
_EMPTY: Any = object()


async def load_user(event: Event) -> Any:
    from yourmusic.models import User

    return await User.get_or_none(id=event.entity_id, tenant_id=event.tenant_id)


async def load_playlist(event: Event) -> Any:
    from yourmusic.models import Playlist

    return await Playlist.get_or_none(id=event.entity_id, tenant_id=event.tenant_id)


LOADERS: Mapping[str, Loader] = {events.USER: load_user, events.PLAYLIST: load_playlist}


class Watcher:
    """One subscription's view of a topic: the latest state offered (an entity, or None: deleted)."""

    __slots__ = ("_value", "_ready")

    def __init__(self) -> None:
        self._value: Any = _EMPTY
        self._ready = asyncio.Event()

    def offer(self, value: Any) -> None:
        self._value = value  # replaces a state not yet taken: coalesced
        self._ready.set()

    async def next(self) -> Any:
        """The next state (waits for one); the entity, or None when it was deleted."""
        await self._ready.wait()
        self._ready.clear()
        value, self._value = self._value, _EMPTY
        return value


class _Feed:
    __slots__ = ("event", "watchers", "loading", "again")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.watchers: set[Watcher] = set()
        self.loading: asyncio.Task[None] | None = None
        self.again = False


class Hub:
    """This process's subscribers by topic, fed by `bus` (see the module docstring)."""

    def __init__(self, bus: Bus, loaders: Mapping[str, Loader] = LOADERS) -> None:
        self.bus = bus
        self.loaders = loaders
        self._feeds: dict[str, _Feed] = {}
        self.loads = 0  # entity reloads so far (tests and benchmarks count them)
        self.connections = ConnectionCounts()  # WebSocket connections per caller in this process
        bus.receiver = self.received
        events.attach(bus)

    @property
    def topics(self) -> int:
        return len(self._feeds)

    def watchers(self, topic: str) -> int:
        feed = self._feeds.get(topic)
        return 0 if feed is None else len(feed.watchers)

    @contextlib.asynccontextmanager
    async def watch(self, event: Event) -> AsyncIterator[Watcher]:
        """A watcher of `event`'s topic for the duration of the block. Raises ServiceUnavailable when the
        bus cannot listen (Redis away); a failed or cancelled first `listen` leaves no topic behind, so
        the next watcher listens again."""
        topic = event.topic
        watcher = Watcher()
        feed = self._feeds.get(topic)
        first = feed is None
        if feed is None:
            feed = self._feeds[topic] = _Feed(event)
        feed.watchers.add(watcher)
        try:
            if first:
                try:
                    await self.bus.listen(topic)
                except Exception as exc:  # noqa: BLE001 - whatever the bus raised: the client may retry
                    log.warning("live: listening to %s failed: %s", topic, type(exc).__name__)
                    raise ServiceUnavailable("Live updates are unavailable right now; retry later.") from None
            yield watcher
        finally:
            feed.watchers.discard(watcher)
            if not feed.watchers and self._feeds.get(topic) is feed:
                del self._feeds[topic]
                await self.bus.forget(topic)

    def received(self, event: Event) -> None:
        """The bus's delivery: reload the entity once for this topic's watchers (coalescing)."""
        feed = self._feeds.get(event.topic)
        if feed is None:
            return
        if feed.loading is not None and not feed.loading.done():
            feed.again = True
            return
        feed.loading = asyncio.create_task(self._reload(feed))

    async def _reload(self, feed: _Feed) -> None:
        while True:
            feed.again = False
            try:
                value = await self.loaders[feed.event.kind](feed.event)
                self.loads += 1
            except Exception:  # noqa: BLE001 - a failed reload skips this change; the next one brings all
                log.exception("live: reloading %s failed", feed.event.topic)
            else:
                for watcher in list(feed.watchers):
                    watcher.offer(value)
            if not feed.again:
                return

    async def close(self) -> None:
        events.detach(self.bus)
        await self.bus.close()
