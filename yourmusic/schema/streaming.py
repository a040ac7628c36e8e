"""Streaming in GraphQL: the signed HLS manifest of a stream, its signed URL, and play reports (user tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from yourmusic.resolvers import streaming as resolvers
from yourmusic.schema.info import Info, entity_id, submitted
from yourmusic.services import streaming as svc

D = strawberry.field
A = strawberry.argument
STREAM_ERRORS = ("UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (a client token), SUBSCRIPTION_REQUIRED (the "
                 "user is not SUBSCRIBED), NOT_FOUND (no such stream), STREAMING_ERROR, STREAMING_TIMEOUT, "
                 "SERVICE_UNAVAILABLE (the streaming server failed, was slow, or is down)")
StreamId = Annotated[strawberry.ID, A(description="The stream's id (UUID): a Track's `streamId`.")]


# the values of services.streaming.PLAY_MODES (tests/test_stream_urls.py keeps them equal)
@strawberry.enum(description="How a play was listened to.")
class PlayMode(Enum):
    ONLINE = strawberry.enum_value("online", description="Streamed while online.")
    OFFLINE = strawberry.enum_value("offline", description="Played from a download while offline.")
    ONLINE_CACHED = strawberry.enum_value("online-cached", description="Played online from the device's cache.")


@strawberry.type(description="A stored play report.")
class PlayReport:
    id: strawberry.ID = D(description="The report's id (UUID).")
    stream_id: strawberry.ID = D(description="The stream played (UUID).")
    track_id: strawberry.ID = D(description="The catalog track of that stream (the aggregator's id).")
    total_time_played: int = D(description="Seconds actually played (0..86400).")
    play_mode: PlayMode = D(description="How it was listened to.")
    played_at: datetime = D(description="When the play started (UTC).")
    created_at: datetime = D(description="When the report was stored (UTC).")

    @classmethod
    def of(cls, r: svc.PlayRecord) -> PlayReport:
        return cls(id=strawberry.ID(str(r.id)), stream_id=strawberry.ID(str(r.stream_id)),
                   track_id=strawberry.ID(r.track_id), total_time_played=r.total_time_played,
                   play_mode=PlayMode(r.play_mode), played_at=r.played_at, created_at=r.created_at)


@strawberry.type(description="A stream's manifest URL that needs no Authorization header (GET /api/stream/{id}/url).")
class StreamUrl:
    url: str = strawberry.field(description="Absolute, signed for the caller's user and device; open it with no header.")
    expires_at: datetime = strawberry.field(description="When the URL stops opening.")


@strawberry.input(description="A finished play of a stream the user started.")
class ReportPlayInput:
    stream_id: strawberry.ID = D(description="The stream played (UUID); one this user streamed.")
    total_time_played: int = D(description="Seconds actually played (0..86400).")
    play_mode: PlayMode = D(description="How it was listened to.")
    played_at: str = D(description="When the play started: ISO 8601 with a timezone, not in the future.")


@strawberry.type
class StreamingQuery:
    @strawberry.field(description="The stream's HLS media playlist (REST #41), its segment URLs signed for the "
                                  "caller's user and device (valid STREAMING_URL_TTL seconds, default 7200), from the "
                                  "streaming server. Subscribers only. Errors: " + STREAM_ERRORS + ".")
    async def stream_manifest(self, info: Info, stream_id: StreamId) -> str:
        return await resolvers.manifest(info.context, entity_id(stream_id))

    @strawberry.field(description="A short-lived URL of the stream's HLS manifest for players that cannot send an "
                                  "Authorization header (native HLS, <audio src>, Chromecast, AirPlay): signed for "
                                  "the caller's user and device, subscribers only (SUBSCRIPTION_REQUIRED), checked "
                                  "again when opened. Errors: " + STREAM_ERRORS + ".")
    async def stream_url(self, info: Info, stream_id: StreamId) -> StreamUrl:
        found = await resolvers.stream_url(info.context, entity_id(stream_id))
        return StreamUrl(url=found.url, expires_at=found.expires_at)


@strawberry.type
class StreamingMutation:
    @strawberry.mutation(description="Report a finished play (POST /api/plays); the same report again is not "
                                     "counted twice (user token). Stored, then forwarded to the streaming server in "
                                     "batches. Errors: UNAUTHENTICATED or INVALID_AUTH_TOKEN, FORBIDDEN (a client "
                                     "token), VALIDATION_FAILED (a stream this user never streamed, a time in the "
                                     "future, a bad number).")
    async def report_play(self, info: Info,
                          input: Annotated[ReportPlayInput, A(description="The play.")]) -> PlayReport:
        report = submitted(svc.PlayReportIn, input)
        report.data["play_mode"] = input.play_mode.value  # the enum's wire value, as REST sends it
        report, _ = await resolvers.report_play(info.context, report)
        return PlayReport.of(report)
