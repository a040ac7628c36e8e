from __future__ import annotations

from datetime import datetime

import strawberry

from yourmusic.resolvers import health


@strawberry.type
class HealthQuery:
    @strawberry.field(description="Server time in UTC (ISO 8601).")
    def heartbeat(self) -> datetime:
        return health.heartbeat()
