"""What changed, as ids only: the tenant, the kind of entity and its id. Receivers reload the entity.

`publish(event)` is the one call a service makes after a write; it is told to the buses of this process
after the surrounding transaction commits (`live/commit.py`), never for a rolled-back write.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yourmusic.live.commit import after_commit

if TYPE_CHECKING:
    from yourmusic.live.bus import Bus

log = logging.getLogger("yourmusic.live")

USER = "user"
PLAYLIST = "playlist"
KINDS = frozenset({USER, PLAYLIST})


@dataclass(frozen=True, slots=True)
class Event:
    """`kind` ("user" or "playlist") of entity `entity_id` of tenant `tenant_id` changed (or was deleted)."""

    tenant_id: uuid.UUID
    kind: str
    entity_id: uuid.UUID

    @property
    def topic(self) -> str:
        """The topic subscribers of this entity listen to: `kind:tenant:id`."""
        return f"{self.kind}:{self.tenant_id}:{self.entity_id}"

    @classmethod
    def from_topic(cls, topic: str) -> Event:
        """The event of a topic string (ValueError for a malformed one)."""
        kind, tenant_id, entity_id = topic.split(":")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        return cls(uuid.UUID(tenant_id), kind, uuid.UUID(entity_id))


def user_changed(tenant_id: uuid.UUID, user_id: uuid.UUID) -> Event:
    return Event(tenant_id, USER, user_id)


def playlist_changed(tenant_id: uuid.UUID, playlist_id: uuid.UUID) -> Event:
    return Event(tenant_id, PLAYLIST, playlist_id)


# The buses of this process (normally one: the app's; tests build more). Redis buses on the same Redis and
# namespace are told once: Redis delivers to all of them.
_buses: weakref.WeakSet[Bus] = weakref.WeakSet()


def attach(bus: Bus) -> None:
    """Make `bus` receive this process's events (the app lifespan does it)."""
    _buses.add(bus)


def detach(bus: Bus) -> None:
    _buses.discard(bus)


async def _tell(event: Event) -> None:
    told: set[object] = set()
    for bus in list(_buses):
        if bus.key in told:
            continue
        told.add(bus.key)
        try:
            await bus.publish(event)
        except Exception as exc:  # noqa: BLE001 - a lost notification must never fail the write that made it
            log.warning("live event %s not published: %s", event.topic, type(exc).__name__)


async def publish(event: Event) -> None:
    """Tell subscribers that `event`'s entity changed: now, or when the surrounding transaction commits
    (nothing when it rolls back). Never raises for a bus failure (logged)."""
    await after_commit(lambda: _tell(event))
