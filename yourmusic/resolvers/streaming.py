"""Streaming: manifests and play reports (user tokens), stream ids of catalog tracks (any caller)."""

from __future__ import annotations

import logging
from typing import Any

from yourmusic.context import Context
from yourmusic.models import PlayReport

log = logging.getLogger("yourmusic.streaming")


async def manifest(ctx: Context, stream_id: Any) -> str:
    """The stream's HLS playlist, segment URLs signed for the caller's user and device."""
    me = await ctx.user()
    return await ctx.container.streaming.manifest(me.tenant_id, me.user_id, me.device_id, stream_id)


async def report_play(ctx: Context, data: Any) -> tuple[PlayReport, bool]:
    me = await ctx.user()
    return await ctx.container.streaming.report_play(me.tenant_id, me.user_id, me.device_id, data)


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


async def with_stream_ids(ctx: Context, payload: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The aggregator's JSON with a `streamId` added to each track object found at `path` (a track or a
    list of tracks), looked up in one batch. Only adds a key; when the streaming server cannot say, the
    key is null and the catalog answer still goes out (a catalog read never fails for streaming)."""
    found = _track_list(payload, path)
    tracks = [found] if isinstance(found, dict) else found
    if not isinstance(tracks, list) or not tracks:
        return payload
    ids = [str(t.get("id")) if isinstance(t, dict) else "" for t in tracks]
    # One payload is already one batch: ask the service directly (a loader would add a scheduling
    # round trip per request and batch nothing more). GraphQL's Track.streamId uses the loader.
    try:
        outcomes: list[Any] = await ctx.container.streaming.stream_ids(ids)
    except Exception as exc:  # noqa: BLE001 - a catalog read never fails for streaming
        outcomes = [exc] * len(ids)
    if any(isinstance(o, BaseException) for o in outcomes):
        log.warning("stream ids unavailable for %d tracks", sum(isinstance(o, BaseException) for o in outcomes))
    enriched = [
        {**t, "streamId": None if isinstance(o, BaseException) else o} if isinstance(t, dict) else t
        for t, o in zip(tracks, outcomes)
    ]
    return _replace(payload, path, enriched[0] if isinstance(found, dict) else enriched)
