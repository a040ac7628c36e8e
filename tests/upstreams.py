"""A sandbox upstream as the tests drive it: its own request counters and fault switches, and the
app's side of it (the client's circuit breaker, the shared cache) reset with it."""

from __future__ import annotations

from typing import Any

from tests.servers import ThreadedServer


class SandboxHandle:
    def __init__(self, server: ThreadedServer, breaker: Any, container: Any) -> None:
        self.server = server
        self.control = server.app.state.sandbox
        self.breaker = breaker
        self.container = container

    @property
    def calls(self) -> int:
        return self.control.total

    async def reset(self) -> None:
        """Counters and faults cleared, the breaker closed, the cache empty: the upstream as if cold."""
        self.control.reset()
        self.breaker.record_success()
        await self.container.cache.clear()
