"""Streaming sandbox: deterministic stream ids, batch limits, API key, playlists, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import m3u8
import pytest

from tests.servers import free_port
from yourmusic.integrations.aggregator.sandbox import get_catalog
from yourmusic.integrations.streaming.sandbox import audio, create_app, stream_id_for
from yourmusic.integrations.streaming.signing import signed_query

ROOT = Path(__file__).resolve().parents[2]
KEY = {"X-Api-Key": "k"}


@pytest.fixture
async def client():
    app = create_app(api_key="k", signing_secret="s")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://streaming") as c:
        c.sandbox = app  # type: ignore[attr-defined]
        yield c


def test_stream_ids_are_deterministic_and_follow_the_catalog():
    index = create_app().state.streams
    catalog = get_catalog()
    streamable = {t for t, track in catalog.tracks.items() if "stream" in track.usage_types}
    assert set(index.by_track) == streamable
    assert 0.85 < len(streamable) / len(catalog.tracks) < 0.95
    assert all(index.by_track[t].id == stream_id_for(t) for t in list(streamable)[:50])
    assert str(stream_id_for(2)) == "51f8ebe3-8215-5d9b-8d0d-cc16f2eb85e5"  # stable across runs and processes


async def test_batch_lookup(client):
    r = await client.get("/streams", params={"trackids": "2,1,abc,999999"}, headers=KEY)
    assert r.json() == {"streams": [{"trackId": "2", "streamId": str(stream_id_for(2))},
                                    {"trackId": "1", "streamId": None}, {"trackId": "abc", "streamId": None},
                                    {"trackId": "999999", "streamId": None}]}
    too_many = ",".join(str(i) for i in range(1, 52))
    assert (await client.get("/streams", params={"trackids": too_many}, headers=KEY)).status_code == 400
    assert (await client.get("/streams", params={"trackids": ""}, headers=KEY)).status_code == 400
    assert (await client.get("/streams", params={"trackids": "2"})).status_code == 401
    assert (await client.get("/streams", params={"trackids": "2"}, headers={"X-Api-Key": "no"})).status_code == 401


async def test_playlists_and_segments(client):
    sid = stream_id_for(2)
    r = await client.get(f"/streams/{sid}/playlist.m3u8", headers=KEY)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert r.headers["x-track-id"] == "2"
    playlist = m3u8.loads(r.text)
    assert playlist.is_endlist and playlist.target_duration == 6
    # Track 2 lasts 343 s in the catalog; its audio is cut on 1024-sample frames (< 23 ms more).
    assert 0 <= sum(s.duration for s in playlist.segments) - 343 < 0.024 and len(playlist.segments) == 58
    assert (await client.get(f"/streams/{stream_id_for(1)}/playlist.m3u8", headers=KEY)).status_code == 404
    assert (await client.get("/streams/not-a-uuid/playlist.m3u8", headers=KEY)).status_code == 404
    assert (await client.get(f"/streams/{sid}/playlist.m3u8")).status_code == 401

    path = f"/streams/{sid}/segments/0.ts"
    good = signed_query("s", path, "u", "d", int(time.time()) + 60)
    r = await client.get(f"{path}?{good}")
    assert r.status_code == 200 and r.content[0] == 0x47 and len(r.content) % 188 == 0  # MPEG-TS packets
    assert r.headers["content-type"] == "video/mp2t" and len(r.content) > 20_000  # 6 s of 64 kbit/s audio
    assert (await client.get(f"/streams/{sid}/segments/58.ts?{good}")).status_code == 404  # past the last one (0..57)
    assert (await client.get(f"/streams/{sid}/segments/1.ts?{good}")).status_code == 403  # signed for segment 0
    assert (await client.get(path)).status_code == 403
    stats = (await client.get("/_sandbox/stats")).json()
    assert stats["counts"]["segment_refused_signature"] == 1 and stats["counts"]["segment_refused_missing"] == 1
    # Hostile signatures and expiries are refused, never a 500 (compare_digest raised on non-ASCII text).
    for sig, exp in (("\u00aa" * 64, str(int(time.time()) + 60)), ("0" * 64, "\u00b2")):
        r = await client.get(path, params={"user": "u", "device": "d", "exp": exp, "sig": sig})
        assert r.status_code == 403, (sig, exp, r.text)


@pytest.mark.parametrize("duration", [1, 5, 6, 7, 12, 343, 5287])
def test_segments_are_whole_aac_frames_adding_up_to_the_track(duration):
    bounds = audio.segment_bounds(duration)
    lengths = [end - first for first, end in zip(bounds, bounds[1:])]
    assert bounds[0] == 0 and len(lengths) == -(-duration // 6) and all(n > 0 for n in lengths)
    assert all(n in (258, 259) for n in lengths[:-1])  # 5.991 s or 6.014 s of 44.1 kHz audio
    assert all(round(audio.frames_seconds(n)) <= 6 for n in lengths)  # RFC 8216: EXTINF rounds to <= target
    assert 0 <= audio.frames_seconds(bounds[-1]) - duration < audio.frames_seconds(1)


async def test_faults(client):
    r = await client.post("/_sandbox/faults", json={"fail_status": 503, "paths": ["streams"]})
    assert r.status_code == 200
    assert (await client.get("/streams", params={"trackids": "2"}, headers=KEY)).status_code == 503
    assert (await client.get(f"/streams/{stream_id_for(2)}/playlist.m3u8", headers=KEY)).status_code == 200
    await client.post("/_sandbox/reset")
    assert (await client.get("/streams", params={"trackids": "2"}, headers=KEY)).status_code == 200


@pytest.mark.slow  # a subprocess
def test_cli_runs_it_alone(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "yourmusic.cli", "sandbox", "streaming", "--port", str(port),
                             "--api-key", "cli-key"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/streams?trackids=2", headers={"X-Api-Key": "cli-key"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert r.json()["streams"][0]["streamId"] == str(stream_id_for(2))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
