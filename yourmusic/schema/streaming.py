"""Streaming in GraphQL: the signed HLS manifest of a stream and play reports (user tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from yourmusic import models
from yourmusic.resolvers import streaming as resolvers
from yourmusic.schema.info import Info


@strawberry.enum
class PlayMode(Enum):
    ONLINE = "online"
    OFFLINE = "offline"
    ONLINE_CACHED = "online-cached"


@strawberry.type
class PlayReport:
    id: strawberry.ID
    stream_id: strawberry.ID
    track_id: strawberry.ID
    total_time_played: int
    play_mode: PlayMode
    played_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, r: models.PlayReport) -> PlayReport:
        return cls(id=strawberry.ID(str(r.id)), stream_id=strawberry.ID(str(r.stream_id)),
                   track_id=strawberry.ID(r.track_id), total_time_played=r.total_time_played,
                   play_mode=PlayMode(r.play_mode), played_at=r.played_at, created_at=r.created_at)


@strawberry.input
class ReportPlayInput:
    stream_id: strawberry.ID
    total_time_played: int = strawberry.field(description="Seconds actually played (0..86400).")
    play_mode: PlayMode
    played_at: str = strawberry.field(description="When the play started: ISO 8601 with a timezone.")


@strawberry.type
class StreamingQuery:
    @strawberry.field(description="The stream's HLS media playlist (REST #41), its segment URLs signed for the "
                                  "caller's user and device. Subscribers only (SUBSCRIPTION_REQUIRED).")
    async def stream_manifest(self, info: Info, stream_id: strawberry.ID) -> str:
        return await resolvers.manifest(info.context, stream_id)


@strawberry.type
class StreamingMutation:
    @strawberry.mutation(description="Report a finished play (POST /api/plays); the same report again is not "
                                     "counted twice.")
    async def report_play(self, info: Info, input: ReportPlayInput) -> PlayReport:
        body = {"stream_id": str(input.stream_id), "total_time_played": input.total_time_played,
                "play_mode": input.play_mode.value, "played_at": input.played_at}
        report, _ = await resolvers.report_play(info.context, body)
        return PlayReport.of(report)
