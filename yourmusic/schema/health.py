"""Liveness in GraphQL: the twin of `GET /api/heartbeat`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from yourmusic.resolvers import health


@strawberry.type
class HealthQuery:
    @strawberry.field(description="Server time in UTC (ISO 8601). Public: needs no token, raises no error.")
    def heartbeat(self) -> datetime:
        return health.heartbeat()
