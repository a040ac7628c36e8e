"""#41 stream a track (HLS manifest) and play reports (user tokens)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field
from starlette.responses import Response

from yourmusic.models import PlayReport
from yourmusic.resolvers import streaming
from yourmusic.rest_compat.core import UDT, Call, Operation
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.rest_compat.shapes import Shape
from yourmusic.services.streaming import PlayReportIn

HLS_MEDIA_TYPE = "application/vnd.apple.mpegurl"
_TAG = "Streaming"


class PlayReportOut(Shape):
    id: uuid.UUID
    stream_id: uuid.UUID
    track_id: str
    total_time_played: int
    play_mode: str = Field(json_schema_extra={"enum": ["online", "offline", "online-cached"]})
    played_at: datetime
    created_at: datetime


def play_report_out(report: PlayReport) -> dict:
    return PlayReportOut.dump(report)


async def stream(call: Call) -> Response:
    text = await streaming.manifest(call.ctx, call.path("stream_id"))
    return Response(text, media_type=HLS_MEDIA_TYPE, headers={"Cache-Control": "private, no-store"})


async def report_play(call: Call) -> Response:
    report, created = await streaming.report_play(call.ctx, await call.json())
    return JSONResponse(play_report_out(report), status_code=201 if created else 200)


OPERATIONS = [
    Operation(("GET",), "/api/stream/{stream_id}", stream, "streamTrack", "Stream track", _TAG,
              "Query.streamManifest", auth=(UDT,), media_type=HLS_MEDIA_TYPE,
              response={"type": "string", "description": "An HLS media playlist (VOD); its segment URIs are "
                        "absolute, signed for the caller's user and device, and expire."},
              description="Returns an HLS manifest from the streaming server using a stream ID (a track's "
                          "`streamId`). Only a user whose status is SUBSCRIBED with `subscription_ends_at` in "
                          "the future may stream (403 `SUBSCRIPTION_REQUIRED` otherwise). Each manifest served "
                          "records a play start. `Cache-Control: private, no-store`.",
              errors=(401, 403, 404, 502, 504)),
    Operation(("POST",), "/api/plays", report_play, "reportPlay", "Report a finished play", _TAG,
              "Mutation.reportPlay", auth=(UDT,), body=PlayReportIn, response=PlayReportOut, status=201,
              description="Reports a finished play of a stream the user started. Stored at once and forwarded "
                          "to the catalog aggregator's play log in batches. The same report sent again "
                          "(same stream and `played_at`) answers 200 with the stored one.",
              errors=(401, 403, 422)),
]
