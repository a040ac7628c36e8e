"""Streaming in GraphQL: the signed HLS manifest of a stream, its signed URL, and play reports (user tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from yourmusic.resolvers import streaming as resolvers
from yourmusic.schema.info import Info, entity_id, submitted
from yourmusic.services import streaming as svc


@strawberry.enum  # the values of services.streaming.PLAY_MODES (tests/test_stream_urls.py keeps them equal)
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
    def of(cls, r: svc.PlayRecord) -> PlayReport:
        return cls(id=strawberry.ID(str(r.id)), stream_id=strawberry.ID(str(r.stream_id)),
                   track_id=strawberry.ID(r.track_id), total_time_played=r.total_time_played,
                   play_mode=PlayMode(r.play_mode), played_at=r.played_at, created_at=r.created_at)


@strawberry.type(description="A stream's manifest URL that needs no Authorization header (GET /api/stream/{id}/url).")
class StreamUrl:
    url: str = strawberry.field(description="Absolute, signed for the caller's user and device; open it with no header.")
    expires_at: datetime = strawberry.field(description="When the URL stops opening.")


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
        return await resolvers.manifest(info.context, entity_id(stream_id))

    @strawberry.field(description="A short-lived URL of the stream's HLS manifest for players that cannot send an "
                                  "Authorization header (native HLS, <audio src>, Chromecast, AirPlay): signed for "
                                  "the caller's user and device, subscribers only (SUBSCRIPTION_REQUIRED), checked "
                                  "again when opened.")
    async def stream_url(self, info: Info, stream_id: strawberry.ID) -> StreamUrl:
        found = await resolvers.stream_url(info.context, entity_id(stream_id))
        return StreamUrl(url=found.url, expires_at=found.expires_at)


@strawberry.type
class StreamingMutation:
    @strawberry.mutation(description="Report a finished play (POST /api/plays); the same report again is not "
                                     "counted twice.")
    async def report_play(self, info: Info, input: ReportPlayInput) -> PlayReport:
        report = submitted(svc.PlayReportIn, input)
        report.data["play_mode"] = input.play_mode.value  # the enum's wire value, as REST sends it
        report, _ = await resolvers.report_play(info.context, report)
        return PlayReport.of(report)
