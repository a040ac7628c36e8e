"""#41 stream a track (HLS manifest), its signed manifest link, and play reports (user tokens)."""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from yourmusic.resolvers import streaming
from yourmusic.resolvers.streaming import LINK_PATH
from yourmusic.rest_compat.core import UDT, Call, Operation
from yourmusic.rest_compat.names import contract_shape
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.services.streaming import PlayRecord, PlayReportIn
from yourmusic.validation import Input

HLS_MEDIA_TYPE = "application/vnd.apple.mpegurl"
HLS_HEADERS = {"Cache-Control": "private, no-store"}
_TAG = "Streaming"
# What the streaming operations answer when the streaming server fails (README "Streaming"): down is the
# contract's 503; a bad answer 502 and a slow one 504 (this service's own codes, beside the contract's).
UPSTREAM_ERRORS = (502, 503, 504)

PlayReportOut = contract_shape(PlayRecord, "PlayReportOut")


StreamUrlOut = contract_shape(streaming.StreamUrl, "StreamUrlOut")


class StreamLinkQuery(Input):
    """The signed link's query (documentation only: the handler verifies it as sent)."""

    tenant: str = Field(description="The tenant the link was minted in.")
    user: str = Field(description="The user it was minted for.")
    device: str = Field(description="Their device (empty for none).")
    session: str = Field(default="", description="Their session family (empty for a UDT).")
    exp: str = Field(description="Expiry, Unix seconds.")
    sig: str = Field(description="HMAC-SHA256 over the stream id and the fields above.")


def _hls(text: str) -> Response:
    return Response(text, media_type=HLS_MEDIA_TYPE, headers=HLS_HEADERS)


async def stream(call: Call) -> Response:
    return _hls(await streaming.manifest(call.ctx, call.id("stream_id")))


async def stream_url(call: Call) -> Response:
    found = await streaming.stream_url(call.ctx, call.id("stream_id"))
    return JSONResponse(StreamUrlOut.dump(found))


async def linked_stream(call: Call) -> Response:
    return _hls(await streaming.linked_manifest(call.ctx, call.id("stream_id"), call.query))


async def report_play(call: Call) -> Response:
    report, created = await streaming.report_play(call.ctx, await call.body(PlayReportIn))
    return JSONResponse(PlayReportOut.dump(report), status_code=201 if created else 200)


OPERATIONS = [
    Operation(("GET",), "/api/stream/{stream_id}", stream, "streamTrack", "Stream track", _TAG,
              "Query.streamManifest", auth=(UDT,), media_type=HLS_MEDIA_TYPE,
              response={"type": "string", "description": "An HLS media playlist (VOD); its segment URIs are "
                        "absolute, signed for the caller's user and device, and expire."},
              description="Returns an HLS manifest from the streaming server using a stream ID (a track's "
                          "`streamId`). Only a user whose status is SUBSCRIBED with `subscription_ends_at` in "
                          "the future may stream (403 `SUBSCRIPTION_REQUIRED` otherwise). Each manifest served "
                          "records a play start. `Cache-Control: private, no-store`. Players that cannot send "
                          "an `Authorization` header open the URL of `GET /api/stream/{stream_id}/url` instead. "
                          "The streaming server down is a 503 `SERVICE_UNAVAILABLE`; a failing answer a 502 "
                          "`STREAMING_ERROR`, a slow one a 504 `STREAMING_TIMEOUT`.",
              errors=(401, 403, 404, *UPSTREAM_ERRORS)),
    Operation(("GET",), "/api/stream/{stream_id}/url", stream_url, "streamUrl", "Stream URL", _TAG,
              "Query.streamUrl", auth=(UDT,), response=StreamUrlOut,
              description="A short-lived URL of the stream's HLS manifest that needs no `Authorization` header, "
                          "for players that only take a URL (Safari's and iOS's native HLS, `<audio src>`, "
                          "Chromecast, AirPlay). Minted only for a subscriber (403 `SUBSCRIPTION_REQUIRED`), "
                          "signed for the caller's tenant, user, device and session, valid for "
                          "STREAMING_LINK_TTL seconds (`expires_at`). Opening it answers as "
                          "`GET /api/stream/{stream_id}` does, the subscription checked again. The stream id "
                          "itself is checked when the URL is opened.",
              errors=(401, 403, 404)),
    Operation(("GET",), LINK_PATH, linked_stream, "streamSignedManifest", "Stream track (signed URL)", _TAG,
              "", query=StreamLinkQuery, media_type=HLS_MEDIA_TYPE,
              response={"type": "string", "description": "The same HLS media playlist as `GET /api/stream/{stream_id}`."},
              description="The URL `GET /api/stream/{stream_id}/url` hands out (use it as given; every query "
                          "parameter is signed). No `Authorization` header: the URL is the credential. A link "
                          "that is altered, forged, for another stream or expired, or whose user is gone or "
                          "session revoked, is a 401 `INVALID_AUTH_TOKEN` (no signature: `UNAUTHENTICATED`); a "
                          "user no longer subscribed a 403 `SUBSCRIPTION_REQUIRED`; an unknown stream a 404. "
                          "Answers `application/vnd.apple.mpegurl`, `Cache-Control: private, no-store`, records "
                          "a play start; CORS is checked against the link's tenant.",
              errors=(401, 403, 404, *UPSTREAM_ERRORS)),
    Operation(("POST",), "/api/plays", report_play, "reportPlay", "Report a finished play", _TAG,
              "Mutation.reportPlay", auth=(UDT,), body=PlayReportIn, response=PlayReportOut, status=201,
              description="Reports a finished play of a stream the user started. Stored at once and forwarded "
                          "to the catalog aggregator's play log in batches. The same report sent again "
                          "(same stream and `played_at`) answers 200 with the stored one.",
              errors=(401, 403, 422)),
]
