"""Starlette app imitating the HLS streaming server over the bundled catalog.

Every catalog track the aggregator sandbox marks streamable (usage type "stream", about 90%) has a
deterministic stream id (uuid5 of the track id). Endpoints:

- `GET /streams?trackids=1,2,...` (API key): `{"streams": [{"trackId", "streamId"|null}]}` in request
  order, at most 50 ids;
- `GET /streams/{stream_id}/playlist.m3u8` (API key): a VOD HLS media playlist (segments of about
  6 s, the last one shorter, adding up to the track's duration, + less than one AAC frame), segment
  URIs relative (`segments/N.ts`); the track id in `X-Track-Id`;
- `GET /streams/{stream_id}/segments/{n}.ts?user=&device=&exp=&sig=`: the segment (MPEG-TS carrying
  AAC audio: a tone whose pitch derives from the track id, see `audio.py`), only with a valid,
  unexpired signature (see `integrations/streaming/signing.py`);
- `/_sandbox/stats`, `/_sandbox/reset`, `/_sandbox/faults`: counters and fault injection, as on the
  aggregator sandbox.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from yourmusic.integrations.aggregator.sandbox.app import ORJSONResponse, _faults, _reset, _stats
from yourmusic.integrations.aggregator.sandbox.catalog import Catalog, get_catalog
from yourmusic.integrations.aggregator.sandbox.control import SandboxControl
from yourmusic.integrations.streaming.sandbox import audio
from yourmusic.integrations.streaming.signing import verify_segment

STREAM_NAMESPACE = uuid.UUID("6f1d8c62-5b0e-4c47-9a51-2f3f8f2f6b7e")
MAX_BATCH_IDS = 50
DEFAULT_API_KEY = "yourmusic-streaming-sandbox"
DEFAULT_SIGNING_SECRET = "yourmusic-streaming-sandbox-secret"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
_SEGMENT_RE = re.compile(r"^(\d{1,6})\.ts$")


def stream_id_for(track_id: int) -> uuid.UUID:
    """The sandbox's stream id of a track: stable across processes and runs."""
    return uuid.uuid5(STREAM_NAMESPACE, f"track:{track_id}")


@dataclass(frozen=True, slots=True)
class Stream:
    """A streamable track: its stream id, track id and duration (whole seconds, as the catalog says)."""

    id: uuid.UUID
    track_id: int
    duration: int

    def segment_bounds(self) -> list[int]:
        """AAC frame index where each segment starts, plus the end (see `audio.segment_bounds`)."""
        return audio.segment_bounds(self.duration)

    def segment_count(self) -> int:
        return len(self.segment_bounds()) - 1

    def playlist(self) -> str:
        """The VOD media playlist: each EXTINF is its segment's encoded audio, to the millisecond."""
        bounds = self.segment_bounds()
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{audio.SEGMENT_SECONDS}",
                 "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"]
        for n, (first, end) in enumerate(zip(bounds, bounds[1:])):
            lines += [f"#EXTINF:{audio.frames_seconds(end - first):.3f},", f"segments/{n}.ts"]
        lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    def segment(self, n: int) -> bytes:
        """Segment n (0-based, < segment_count()) as MPEG-TS bytes: AAC audio of this track's tone."""
        bounds = self.segment_bounds()
        return audio.segment(audio.period_for(self.track_id), bounds[n], bounds[n + 1])


class StreamIndex:
    """Track id <-> stream for every streamable catalog track: computed on first use (the catalog takes
    about 0.25 s to load: not at the embedding server's start, issue 17.9), then kept."""

    def __init__(self, catalog: Catalog | Callable[[], Catalog]) -> None:
        self._catalog = catalog

    @cached_property
    def _maps(self) -> tuple[dict[int, Stream], dict[uuid.UUID, Stream]]:
        catalog = self._catalog if isinstance(self._catalog, Catalog) else self._catalog()
        by_track: dict[int, Stream] = {}
        by_id: dict[uuid.UUID, Stream] = {}
        for track_id, track in catalog.tracks.items():
            if "stream" not in track.usage_types:
                continue
            duration = int(orjson.loads(orjson.dumps(track.full)).get("duration") or 0)
            if duration <= 0:
                continue
            stream = Stream(stream_id_for(track_id), track_id, duration)
            by_track[track_id] = stream
            by_id[stream.id] = stream
        return by_track, by_id

    @property
    def by_track(self) -> dict[int, Stream]:
        return self._maps[0]

    @property
    def by_id(self) -> dict[uuid.UUID, Stream]:
        return self._maps[1]


def _error(status: int, message: str) -> ORJSONResponse:
    return ORJSONResponse({"error": {"status": status, "message": message}}, status_code=status)


def create_app(api_key: str | None = None, signing_secret: str = DEFAULT_SIGNING_SECRET, *,
               catalog: Catalog | None = None, cors_origins: tuple[str, ...] = ()) -> Starlette:
    """`api_key=None` accepts any non-empty key (`X-Api-Key` header); otherwise only that one.

    `cors_origins` (served alone; `("*",)` for any): players on those origins may fetch segments. Mounted
    in the API (the embedded default) it stays empty: the API's own CORS middleware covers the mount."""
    index = StreamIndex(catalog if catalog is not None else get_catalog)

    async def guarded(request: Request, key: str) -> Response | None:
        control: SandboxControl = request.app.state.sandbox
        control.counts[key] += 1
        if control.applies_to(key):
            if control.latency > 0:
                await asyncio.sleep(control.latency)
            if control.fail_status is not None:
                return _error(control.fail_status, f"Injected fault: HTTP {control.fail_status}")
            if control.garbage:
                return Response(b"<html>502 garbage\x00\xff", status_code=200, media_type="application/json")
        return None

    def key_ok(request: Request) -> bool:
        supplied = request.headers.get("x-api-key", "")
        return bool(supplied) and (api_key is None or supplied == api_key)

    async def streams(request: Request) -> Response:
        fault = await guarded(request, "streams")
        if fault is not None:
            return fault
        if not key_ok(request):
            return _error(401, "Invalid API key")
        raw = request.query_params.get("trackids", "")
        ids = [part.strip() for part in raw.split(",") if part.strip()]
        if not ids:
            return _error(400, "Missing parameter trackids")
        if len(ids) > MAX_BATCH_IDS:
            return _error(400, f"At most {MAX_BATCH_IDS} track ids per call")
        out = []
        for raw_id in ids:
            stream = index.by_track.get(int(raw_id)) if raw_id.isdigit() else None
            out.append({"trackId": raw_id, "streamId": str(stream.id) if stream else None})
        return ORJSONResponse({"streams": out})

    def find(request: Request) -> Stream | None:
        try:
            return index.by_id.get(uuid.UUID(request.path_params["stream_id"]))
        except ValueError:
            return None

    async def playlist(request: Request) -> Response:
        fault = await guarded(request, "playlist")
        if fault is not None:
            return fault
        if not key_ok(request):
            return _error(401, "Invalid API key")
        stream = find(request)
        if stream is None:
            return _error(404, "Stream not found")
        return Response(stream.playlist(), media_type=PLAYLIST_TYPE,
                        headers={"X-Track-Id": str(stream.track_id), "Cache-Control": "no-store"})

    async def segment(request: Request) -> Response:
        control: SandboxControl = request.app.state.sandbox
        control.counts["segment"] += 1
        stream = find(request)
        match = _SEGMENT_RE.match(request.path_params["segment"])
        if stream is None or match is None or int(match.group(1)) >= stream.segment_count():
            return _error(404, "Segment not found")
        q = request.query_params
        path = f"/streams/{request.path_params['stream_id']}/segments/{request.path_params['segment']}"
        refused = verify_segment(signing_secret, path, q.get("user"), q.get("device"), q.get("exp"), q.get("sig"))
        if refused is not None:
            control.counts[f"segment_refused_{refused}"] += 1
            return _error(403, f"Segment URL refused: {refused}")
        return Response(stream.segment(int(match.group(1))), media_type="video/mp2t",
                        headers={"Cache-Control": "private, max-age=60"})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, str(exc.detail or "Error"))

    routes = [
        Route("/streams", streams, methods=["GET"]),
        Route("/streams/{stream_id}/playlist.m3u8", playlist, methods=["GET"]),
        Route("/streams/{stream_id}/segments/{segment}", segment, methods=["GET"]),
        Route("/_sandbox/stats", _stats, methods=["GET"]),
        Route("/_sandbox/reset", _reset, methods=["POST"]),
        Route("/_sandbox/faults", _faults, methods=["GET", "POST"]),
    ]
    cors = [Middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=("GET",))] if cors_origins else []
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, middleware=cors)
    app.state.sandbox = SandboxControl()
    app.state.streams = index
    return app
