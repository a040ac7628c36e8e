"""Streaming: manifests, signed links and play reports (user tokens), stream ids of catalog tracks (any caller)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yourmusic.context import Context
from yourmusic.services.streaming import PlayRecord, PlayReportIn
from yourmusic.validation import Submitted

log = logging.getLogger("yourmusic.streaming")

# Where a signed link opens (REST serves it; GraphQL's streamUrl hands out the same URL).
LINK_PATH = "/api/stream/{stream_id}/playlist.m3u8"


class StreamUrl(BaseModel):
    """A stream's signed manifest URL (absolute, on this API) and when it stops opening (UTC)."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(description="The manifest's URL, absolute, signed for the caller's user and device; open it "
                                 "with no header.")
    expires_at: datetime = Field(description="When the URL stops opening (its segments then stay valid for "
                                             "STREAMING_URL_TTL seconds).")


async def manifest(ctx: Context, stream_id: uuid.UUID) -> str:
    """The stream's HLS playlist, segment URLs signed for the caller's user and device."""
    me = await ctx.user()
    return await ctx.container.streaming.manifest(me.tenant_id, me.user_id, me.device_id, stream_id)


async def stream_url(ctx: Context, stream_id: uuid.UUID) -> StreamUrl:
    """A short-lived URL of the stream's manifest that needs no header (for native HLS players, `<audio
    src>`, Chromecast, AirPlay), signed for the caller's tenant, user, device and session. Absolute on
    the host the caller reached (behind TRUSTED_PROXIES, the scheme and host they sent)."""
    me = await ctx.user()
    link = await ctx.container.streaming.link(me, stream_id)
    base = str(ctx.request.base_url).rstrip("/")
    return StreamUrl(url=f"{base}{LINK_PATH.format(stream_id=link.stream_id)}?{link.query}",
                     expires_at=link.expires_at)


async def linked_manifest(ctx: Context, stream_id: uuid.UUID, query: dict[str, str]) -> str:
    """The manifest behind a signed link: the link verified (401 when missing, altered, forged or
    expired), its user checked like a token's (gone, session revoked: 401), then as `manifest`
    (entitlement again: 403; the play start recorded)."""
    me = await ctx.user_by_link(ctx.container.streaming.link_holder(stream_id, query))
    return await ctx.container.streaming.manifest(me.tenant_id, me.user_id, me.device_id, stream_id)


async def report_play(ctx: Context, report: Submitted[PlayReportIn]) -> tuple[PlayRecord, bool]:
    """Store a finished play of a stream the caller started: (the report, whether it is new)."""
    me = await ctx.user()
    return await ctx.container.streaming.report_play(me.tenant_id, me.user_id, me.device_id, report.value())


async def load_stream_id(ctx: Context, track_id: Any) -> str | None:
    """Through the StreamIdByTrackId loader (batched, cached); None when the track is not streamable."""
    await ctx.caller()
    return await ctx.loaders.stream_id_by_track_id.load(str(track_id))


def _track_list(payload: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = payload
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _replace(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `payload` with `value` at `path` (the cached original is never mutated)."""
    head, *rest = path
    return {**payload, head: _replace(payload[head], tuple(rest), value) if rest else value}


async def add_stream_ids(ctx: Context, tracks: list[Any]) -> list[Any]:
    """Copies of the aggregator's track objects, each with a `streamId` added (None for anything that is
    not a track object), looked up in one batch (the service asks 50 tracks per call to the streaming
    server, cache hits none). Only adds a key; when the streaming server cannot say, the key is null and
    the answer still goes out (a catalog read never fails for streaming)."""
    ids = [str(t.get("id")) for t in tracks if isinstance(t, dict)]
    if not ids:
        return tracks
    # One answer is already one batch: ask the service directly (a loader would add a scheduling
    # round trip per request and batch nothing more). GraphQL's Track.streamId uses the loader.
    try:
        outcomes: list[Any] = await ctx.container.streaming.stream_ids(ids)
    except Exception as exc:  # noqa: BLE001 - a catalog read never fails for streaming
        outcomes = [exc] * len(ids)
    failed = sum(isinstance(o, BaseException) for o in outcomes)
    if failed:
        log.warning("stream ids unavailable for %d tracks", failed)
    found = iter(None if isinstance(o, BaseException) else o for o in outcomes)
    return [{**t, "streamId": next(found)} if isinstance(t, dict) else t for t in tracks]


async def with_stream_ids(ctx: Context, payload: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The aggregator's JSON with a `streamId` added to each track object found at `path` (a track or a
    list of tracks), as `add_stream_ids` does."""
    found = _track_list(payload, path)
    tracks = [found] if isinstance(found, dict) else found
    if not isinstance(tracks, list) or not tracks:
        return payload
    enriched = await add_stream_ids(ctx, tracks)
    return _replace(payload, path, enriched[0] if isinstance(found, dict) else enriched)
