"""How many WebSocket connections each caller holds in this worker process (LIVE_CONNECTIONS_PER_USER).

Counted per process: with several workers or instances a user may hold the limit on each (the limit
bounds what one process spends on one user; a fleet-wide count would need Redis bookkeeping that
survives crashed workers, which this does not attempt).
"""

from __future__ import annotations

from collections.abc import Hashable


class ConnectionCounts:
    """Open connections per caller key (a user of a tenant, or a client) in this process."""

    def __init__(self) -> None:
        self._open: dict[Hashable, int] = {}

    def enter(self, key: Hashable, limit: int) -> bool:
        """Count one more connection for `key`; False (nothing counted) when it already holds `limit`."""
        held = self._open.get(key, 0)
        if held >= limit:
            return False
        self._open[key] = held + 1
        return True

    def leave(self, key: Hashable) -> None:
        held = self._open.get(key, 0) - 1
        if held > 0:
            self._open[key] = held
        else:
            self._open.pop(key, None)

    def held(self, key: Hashable) -> int:
        return self._open.get(key, 0)
