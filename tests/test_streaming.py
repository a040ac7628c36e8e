"""Streaming (#41, Query.streamManifest, Track.streamId, POST /api/plays, Mutation.reportPlay).

The streaming server and the aggregator are the sandboxes on real ports: manifests are parsed by an
independent HLS parser (`m3u8`), segment URLs are fetched from the streaming sandbox (which checks
their signatures), and forwarded play reports are counted by the aggregator sandbox.
"""

from __future__ import annotations

import array
import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import av
import httpx
import m3u8
import pytest

from tests.api import bearer, gql_codes
from tests.conftest import AGGREGATOR_KEY, STREAMING_KEY, STREAMING_SECRET
from tests.servers import free_port, start_process, stop_process
from yourmusic.integrations.aggregator.sandbox.catalog import get_catalog
from yourmusic.integrations.streaming.sandbox import StreamIndex, audio, stream_id_for
from yourmusic.integrations.streaming.sandbox.app import Stream
from yourmusic.integrations.streaming.signing import signed_query, verify_segment
from yourmusic.integrations.retry import RetryPolicy
from yourmusic.models import PlayReport, PlayStart, User, UserStatus
from yourmusic.services.plays import ForwardPolicy, PlayForwarder

ROOT = Path(__file__).resolve().parents[1]
STREAMABLE = "2"  # catalog track 2 is streamable; track 1 is not (sandbox's deterministic ~10%)
NOT_STREAMABLE = "1"


async def _user(api, tenant, status: UserStatus | None = UserStatus.SUBSCRIBED,
                ends: timedelta | None = timedelta(days=30)):
    """A user with this subscription state (set in the database, as the billing flow would), and a UDT."""
    user = await api.create_user(tenant)
    if status is not None:
        await User.filter(id=user["id"]).update(
            status=status, subscription_ends_at=None if ends is None else datetime.now(UTC) + ends)
    device = str(uuid.uuid4())
    return user, await api.udt(tenant, user["id"], device), device


def _sid(track_id: str) -> str:
    return str(stream_id_for(int(track_id)))


# --- Track.streamId ---------------------------------------------------------------------------------

async def test_rest_track_objects_gain_stream_id(api, tenant, streams, upstream, aggregator_server):
    one = (await api.http.get(f"/api/tracks/{STREAMABLE}", headers=tenant.auth)).json()["track"]
    assert one["streamId"] == _sid(STREAMABLE) and one["title"] and "usageTypes" in one
    off = (await api.http.get(f"/api/tracks/{NOT_STREAMABLE}", headers=tenant.auth)).json()["track"]
    assert off["streamId"] is None and "stream" not in off["usageTypes"]

    batch = (await api.http.get("/api/tracks/batch?trackids=1,2,3,4", headers=tenant.auth)).json()
    assert {t["id"]: t["streamId"] for t in batch["items"]["tracks"]} == {
        1: None, 2: _sid("2"), 3: None, 4: _sid("4")}
    release = (await api.http.get("/api/releases/1/tracks", headers=tenant.auth)).json()
    assert all("streamId" in t for t in release["tracks"]) and release["totalItems"] == 10
    found = (await api.http.get("/api/tracks/search?q=love", headers=tenant.auth)).json()
    assert found["results"] and all("streamId" in t for t in found["results"])
    # Only added: every key the aggregator sent is still there, unchanged.
    async with httpx.AsyncClient() as client:
        direct = (await client.get(f"{aggregator_server.url}/1.2/track/details", params={
            "trackid": STREAMABLE, "country": "US", "oauth_consumer_key": AGGREGATOR_KEY})).json()["track"]
    assert {k: v for k, v in one.items() if k != "streamId"} == direct
    # The batch of 4 + releases' 10 + search: each answer one call at most, and the repeat is cached.
    before = streams.control.counts["streams"]
    await api.http.get("/api/tracks/batch?trackids=1,2,3,4", headers=tenant.auth)
    assert streams.control.counts["streams"] == before


async def test_fifty_tracks_stream_ids_cost_one_batched_call(api, tenant, streams, upstream):
    ids = [str(1 + 70 * i) for i in range(50)]
    q = "query($ids:[ID!]!){ tracks(ids:$ids){ id streamId } }"
    cold = await api.gql(q, {"ids": ids}, tenant.token)
    assert "errors" not in cold, cold
    got = {t["id"]: t["streamId"] for t in cold["data"]["tracks"]}
    assert streams.control.counts["streams"] == 1 and streams.calls == 1
    app_streams = streams.server.app.state.streams
    assert got == {i: (str(app_streams.by_track[int(i)].id) if int(i) in app_streams.by_track else None) for i in ids}
    assert any(v is None for v in got.values()) and sum(v is not None for v in got.values()) > 35

    streams.control.reset()
    warm = await api.gql(q, {"ids": ids}, tenant.token)
    assert warm == cold and streams.calls == 0


async def test_stream_id_when_the_streaming_server_fails(api, tenant, streams, upstream):
    streams.control.set_faults(fail_status=500)
    r = await api.http.get(f"/api/tracks/{STREAMABLE}", headers=tenant.auth)
    assert r.status_code == 200 and r.json()["track"]["streamId"] is None  # the catalog read still answers
    result = await api.gql('{ track(id: "2"){ title streamId } }', token=tenant.token)
    assert result["data"]["track"]["title"] and result["data"]["track"]["streamId"] is None
    assert gql_codes(result) == ["STREAMING_ERROR"]


# --- entitlement -------------------------------------------------------------------------------------

ENTITLEMENT = [
    pytest.param(UserStatus.SUBSCRIBED, timedelta(days=30), 200, id="subscribed"),
    pytest.param(None, None, 403, id="never-subscribed"),
    pytest.param(UserStatus.UNSUBSCRIBED, timedelta(days=30), 403, id="unsubscribed"),
    pytest.param(UserStatus.SUBSCRIBED, timedelta(seconds=-1), 403, id="expired"),
    pytest.param(UserStatus.SUBSCRIBED, None, 403, id="subscribed-without-end"),
    pytest.param(UserStatus.PAST_DUE, timedelta(days=30), 403, id="past-due"),
]


@pytest.mark.parametrize("status,ends,expected", ENTITLEMENT)
async def test_only_subscribers_stream(api, tenant, streams, status, ends, expected):
    user, udt, _ = await _user(api, tenant, status, ends)
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
    assert r.status_code == expected, r.text
    result = await api.gql("query($s:ID!){ streamManifest(streamId:$s) }", {"s": _sid(STREAMABLE)}, udt)
    if expected == 200:
        assert r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        assert r.headers["cache-control"] == "private, no-store"
        assert result["data"]["streamManifest"].startswith("#EXTM3U")
        assert await PlayStart.filter(user_id=user["id"]).count() == 2
    else:
        assert r.json()["code"] == "SUBSCRIPTION_REQUIRED"
        assert gql_codes(result) == ["SUBSCRIPTION_REQUIRED"]
        assert streams.control.counts["playlist"] == 0
        assert await PlayStart.filter(user_id=user["id"]).count() == 0


async def test_stream_needs_a_user_token(api, tenant, streams):
    assert (await api.http.get(f"/api/stream/{_sid(STREAMABLE)}")).json()["code"] == "UNAUTHENTICATED"
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=tenant.auth)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    assert streams.calls == 0


async def test_unknown_and_malformed_stream_ids_are_404(api, tenant, streams):
    user, udt, _ = await _user(api, tenant)
    r = await api.http.get(f"/api/stream/{uuid.uuid4()}", headers=bearer(udt))
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert streams.control.counts["playlist"] == 1
    for bad in ("not-a-uuid", "1", "%20"):
        r = await api.http.get(f"/api/stream/{bad}", headers=bearer(udt))
        assert r.status_code == 404, bad
    assert streams.control.counts["playlist"] == 1  # malformed ids never reach the server
    assert await PlayStart.filter(user_id=user["id"]).count() == 0


async def test_streaming_server_failures_are_502_and_504(api, tenant, streams, app):
    _, udt, _ = await _user(api, tenant)
    streams.control.set_faults(fail_status=500, paths=["playlist"])
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
    assert r.status_code == 502 and r.json()["code"] == "STREAMING_ERROR"
    assert streams.control.counts["playlist"] == 3  # 1 + 2 retries on a 5xx
    streams.container.streaming.client.breaker.record_success()
    streams.control.set_faults(latency=1.5, paths=["playlist"])  # past the 1 s total timeout
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
    assert r.status_code == 504 and r.json()["code"] == "STREAMING_TIMEOUT"
    assert "Traceback" not in r.text


# --- the manifest and its segments ----------------------------------------------------------------

async def _manifest(api, udt: str, track_id: str = STREAMABLE) -> str:
    r = await api.http.get(f"/api/stream/{_sid(track_id)}", headers=bearer(udt))
    assert r.status_code == 200, r.text
    return r.text


@pytest.mark.parametrize("track_id", [STREAMABLE, "6", "3"])
async def test_manifest_is_valid_hls_adding_up_to_the_track(api, tenant, streams, streaming_server, track_id):
    if track_id == "3":
        track_id = next(str(t) for t in sorted(streaming_server.app.state.streams.by_track) if t > 3000)
    user, udt, device = await _user(api, tenant)
    text = await _manifest(api, udt, track_id)
    playlist = m3u8.loads(text)
    track = (await api.http.get(f"/api/tracks/{track_id}", headers=bearer(udt))).json()["track"]
    assert playlist.is_endlist and playlist.playlist_type == "vod" and playlist.version == 3
    assert playlist.target_duration == 6 and playlist.media_sequence == 0
    durations = [s.duration for s in playlist.segments]
    # The audio is cut on whole AAC frames (1024 samples at 44.1 kHz): it adds up to the track plus less
    # than one frame, and each EXTINF rounds to at most the target duration (RFC 8216 §4.3.3.1).
    assert 0 <= sum(durations) - track["duration"] < 1024 / 44100 + 0.001
    assert max(round(d) for d in durations) <= playlist.target_duration and durations[-1] <= 6.1
    assert len(durations) == -(-track["duration"] // 6)
    async with httpx.AsyncClient() as client:
        for segment in playlist.segments:
            url = urlsplit(segment.uri)
            assert segment.uri.startswith(streaming_server.url + f"/streams/{_sid(track_id)}/segments/")
            q = parse_qs(url.query)
            assert q["user"] == [user["id"]] and q["device"] == [device] and int(q["exp"][0]) > time.time()
        for segment in (playlist.segments[0], playlist.segments[-1]):
            r = await client.get(segment.uri)
            assert r.status_code == 200 and r.headers["content-type"] == "video/mp2t" and r.content[0] == 0x47
    start = await PlayStart.get(user_id=user["id"])
    assert (str(start.tenant_id), str(start.device_id), start.track_id, str(start.stream_id)) == (  # type: ignore[attr-defined]
        str(tenant.id), device, track_id, _sid(track_id))


async def test_forged_altered_expired_or_other_users_segment_urls_are_refused(api, tenant, streams, streaming_server):
    user, udt, device = await _user(api, tenant)
    other, other_udt, other_device = await _user(api, tenant)
    uri = m3u8.loads(await _manifest(api, udt)).segments[1].uri
    theirs = m3u8.loads(await _manifest(api, other_udt)).segments[1].uri
    base, query = uri.split("?", 1)
    q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}

    def url(path: str = base, **changes: str) -> str:
        return f"{path}?{urlencode({**q, **changes})}"

    path = urlsplit(base).path
    expired = signed_query(STREAMING_SECRET, path, user["id"], device, int(time.time()) - 5)
    wrong_key = signed_query("not-the-secret", path, user["id"], device, int(q["exp"]))
    refused = {
        "forged signature": url(sig="0" * 64),
        "no signature": f"{base}?user={q['user']}&device={q['device']}&exp={q['exp']}",
        "another user": url(user=other["id"]),
        "another device": url(device=other_device),
        "later expiry": url(exp=str(int(q["exp"]) + 3600)),
        "another segment": url(base.replace("/segments/1.ts", "/segments/2.ts")),
        "expired": f"{base}?{expired}",
        "signed with another key": f"{base}?{wrong_key}",
    }
    async with httpx.AsyncClient() as client:
        assert (await client.get(uri)).status_code == 200
        assert (await client.get(theirs)).status_code == 200  # theirs is good for them...
        # ...and claiming it as mine (my user and device on their signature) is refused.
        tq = {k: v[0] for k, v in parse_qs(theirs.split("?", 1)[1]).items()}
        refused["other user's signature"] = url(sig=tq["sig"], exp=tq["exp"])
        for why, bad in refused.items():
            r = await client.get(bad)
            assert r.status_code == 403, why
    assert streams.control.counts["segment_refused_expired"] == 1


def _with_lines(monkeypatch, *tags: str) -> None:
    """The streaming sandbox's playlists gain these lines before their first segment (an encrypted or
    fMP4 stream, say), as another streaming server might send them."""
    plain = Stream.playlist

    def playlist(self: Stream) -> str:
        head, first_segment, rest = plain(self).partition("#EXTINF")
        return head + "".join(tag + "\n" for tag in tags) + first_segment + rest

    monkeypatch.setattr(Stream, "playlist", playlist)


async def test_uris_inside_tags_are_signed_too(api, tenant, streams, streaming_server, monkeypatch):
    _with_lines(monkeypatch, '#EXT-X-KEY:METHOD=AES-128,URI="../../keys/k1.bin",IV=0x0F',
                '#EXT-X-MAP:URI="init.mp4"')
    user, udt, device = await _user(api, tenant)
    text = await _manifest(api, udt)
    playlist = m3u8.loads(text)
    key, init = playlist.segments[0].key, playlist.segments[0].init_section
    for uri, path in ((key.uri, "/keys/k1.bin"), (init.uri, f"/streams/{_sid(STREAMABLE)}/init.mp4")):
        assert uri.startswith(streaming_server.url + path + "?"), uri  # absolute, not relative to /api/stream/
        q = {k: v[0] for k, v in parse_qs(urlsplit(uri).query).items()}
        assert (q["user"], q["device"]) == (user["id"], device)
        assert verify_segment(STREAMING_SECRET, path, q["user"], q["device"], q["exp"], q["sig"]) is None
    assert key.iv == "0x0F" and playlist.segments[0].uri.startswith(streaming_server.url)
    result = await api.gql("query($s:ID!){ streamManifest(streamId:$s) }", {"s": _sid(STREAMABLE)}, udt)
    assert m3u8.loads(result["data"]["streamManifest"]).segments[0].key.uri.startswith(streaming_server.url + "/keys/")


async def test_a_playlist_that_cannot_be_signed_is_a_502(api, tenant, streams, monkeypatch):
    _with_lines(monkeypatch, '#EXT-X-CONTENT-STEERING:SERVER-URI="steering.json"')
    user, udt, _ = await _user(api, tenant)
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
    assert r.status_code == 502 and r.json()["code"] == "STREAMING_ERROR", r.text
    assert "steering.json" not in r.text
    result = await api.gql("query($s:ID!){ streamManifest(streamId:$s) }", {"s": _sid(STREAMABLE)}, udt)
    assert gql_codes(result) == ["STREAMING_ERROR"]
    assert await PlayStart.filter(user_id=user["id"]).count() == 0  # nothing played


# --- the segments' audio ------------------------------------------------------------------------------

def _decode(segment: bytes) -> tuple[av.audio.stream.AudioStream, list[tuple[int, array.array]]]:
    """(the segment's audio stream, [(pts in samples, float samples)] per decoded frame), by PyAV's FFmpeg."""
    with av.open(io.BytesIO(segment), format="mpegts") as container:
        stream = container.streams.audio[0]
        frames = [(round(f.pts * f.time_base * 44100), array.array("f", bytes(f.planes[0]))[: f.samples])
                  for f in container.decode(stream)]
        return stream, frames


def _pitch(samples: list[float]) -> float:
    """The fundamental of a steady tone in Hz, from its rising zero crossings (44.1 kHz samples)."""
    rising = [i for i in range(1, len(samples)) if samples[i - 1] < 0 <= samples[i]]
    return (len(rising) - 1) * 44100 / (rising[-1] - rising[0])


async def test_segments_are_aac_audio_playing_on_and_each_track_its_own_pitch(api, tenant, streams, streaming_server):
    index = streaming_server.app.state.streams
    picked = [s for s in index.by_track.values() if 20 <= s.duration <= 40][:1]
    picked += [s for s in index.by_track.values() if 20 <= s.duration <= 40
               and audio.period_for(s.track_id) != audio.period_for(picked[0].track_id)][:1]
    _, udt, _ = await _user(api, tenant)
    pitches = []
    async with httpx.AsyncClient() as client:
        for stream in picked:
            playlist = m3u8.loads(await _manifest(api, udt, str(stream.track_id)))
            offset, samples = None, []
            for segment in playlist.segments:
                r = await client.get(segment.uri)
                assert r.status_code == 200 and r.headers["content-type"] == "video/mp2t"
                decoded_stream, frames = _decode(r.content)
                codec = decoded_stream.codec_context
                assert (codec.name, codec.sample_rate, codec.layout.nb_channels) == ("aac", 44100, 1)
                # Every frame goes on where the previous one stopped, across segments too (timestamps
                # are the stream's, shifted by the muxer's constant delay), and a segment lasts its EXTINF.
                offset = frames[0][0] if offset is None else offset
                for pts, decoded in frames:
                    assert abs(pts - offset - len(samples)) <= 1, "a gap or an overlap"  # 90 kHz ticks
                    samples.extend(decoded)
                assert abs(sum(len(f) for _, f in frames) / 44100 - segment.duration) < 0.001
            assert abs(len(samples) / 44100 - stream.duration) < 1024 / 44100 + 0.001
            assert max(abs(x) for x in samples) > 0.2  # a tone, not silence
            pitch = _pitch(samples[4096:])  # past the first frames (no earlier audio to overlap)
            assert abs(pitch - audio.pitch_hz(audio.period_for(stream.track_id))) < 1, pitch
            pitches.append(pitch)
    assert 100 < min(pitches) and max(pitches) < 1000 and abs(pitches[0] - pitches[1]) > 10


def _ffprobe_tracks() -> list[Stream]:
    """Three streamable tracks of different lengths: the shortest, about four minutes, about ten."""
    index = StreamIndex(get_catalog())
    by_length = sorted(index.by_track.values(), key=lambda s: (s.duration, s.track_id))
    return [by_length[0], next(s for s in by_length if s.duration >= 245 and s.duration % 6),
            next(s for s in by_length if s.duration >= 590 and s.duration % 6)]


def _ffprobe(url: str, *headers: str) -> dict:
    """FFmpeg's own HLS client on `url` (with these request headers, if any): streams and frames as JSON."""
    extra = ["-headers", "".join(h + "\r\n" for h in headers)] if headers else []
    probe = subprocess.run(
        ["ffprobe", "-v", "error", *extra,
         "-show_entries", "stream=codec_type,codec_name,sample_rate,channels:frame=nb_samples", "-of", "json", url],
        capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0 and not probe.stderr, probe.stderr
    return json.loads(probe.stdout)


async def test_ffprobe_plays_a_subscribers_manifest_to_the_tracks_duration(api, tenant, settings, aggregator_server,
                                                                          streaming_server, tmp_path):
    """FFmpeg's own HLS client reads the manifest from a server on the embedded default (`./dev serve`: the
    streaming sandbox mounted in the app), follows every signed segment URL and decodes the audio: as long
    as the track, whatever its length. Once with the user's token, once through the signed URL of
    `GET /api/stream/{id}/url` with no header at all (as a native player, `<audio src>` or a cast device)."""
    if shutil.which("ffprobe") is None:
        if os.environ.get("CI"):
            pytest.fail("ffprobe is missing: .ci/run installs Debian's ffmpeg")
        pytest.skip("ffprobe is not installed (apt-get install -y ffmpeg)")
    _, udt, _ = await _user(api, tenant)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(settings, aggregator_server, streaming_server, port, tmp_path / "server.log",
                  STREAMING_URL="sandbox", PLAYS_FORWARD="false")
    try:
        async with httpx.AsyncClient(base_url=base, headers=bearer(udt)) as client:
            for stream in _ffprobe_tracks():
                minted = await client.get(f"/api/stream/{stream.id}/url")
                assert minted.status_code == 200, minted.text
                signed = minted.json()["url"]
                assert signed.startswith(f"{base}/api/stream/{stream.id}/playlist.m3u8?")
                for found in (_ffprobe(f"{base}/api/stream/{stream.id}", f"Authorization: Bearer {udt}"),
                              _ffprobe(signed)):
                    [audio_stream] = found["streams"]
                    assert (audio_stream["codec_type"], audio_stream["codec_name"], audio_stream["sample_rate"],
                            audio_stream["channels"]) == ("audio", "aac", "44100", 1)
                    decoded = sum(f["nb_samples"] for f in found["frames"]) / 44100
                    assert abs(decoded - stream.duration) <= 1, (stream.track_id, stream.duration, decoded)
    finally:
        stop_process(proc)


# --- play reports -------------------------------------------------------------------------------------

def _report(sid: str, /, **changes) -> dict:
    played = (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    return {"stream_id": sid, "total_time_played": 180, "play_mode": "online", "played_at": played, **changes}


async def test_report_a_play(api, tenant, streams):
    user, udt, device = await _user(api, tenant)
    await _manifest(api, udt)
    body = _report(_sid(STREAMABLE), play_mode="online-cached")
    r = await api.http.post("/api/plays", json=body, headers=bearer(udt))
    assert r.status_code == 201, r.text
    made = r.json()
    assert set(made) == {"id", "stream_id", "track_id", "total_time_played", "play_mode", "played_at", "created_at"}
    assert made["track_id"] == STREAMABLE and made["play_mode"] == "online-cached" and made["total_time_played"] == 180
    again = await api.http.post("/api/plays", json=body, headers=bearer(udt))  # a retried request
    assert again.status_code == 200 and again.json()["id"] == made["id"]
    row = await PlayReport.get(id=made["id"])
    assert (str(row.tenant_id), str(row.user_id), str(row.device_id), row.forwarded_at) == (  # type: ignore[attr-defined]
        str(tenant.id), user["id"], device, None)
    assert await PlayReport.filter(user_id=user["id"]).count() == 1

    q = """mutation($i: ReportPlayInput!){ reportPlay(input:$i){ id streamId trackId playMode totalTimePlayed } }"""
    variables = {"i": {"streamId": _sid(STREAMABLE), "totalTimePlayed": 30, "playMode": "OFFLINE",
                       "playedAt": "2025-11-01T09:37:15+02:00"}}
    result = await api.gql(q, variables, udt)
    assert "errors" not in result, result
    assert result["data"]["reportPlay"]["playMode"] == "OFFLINE" and result["data"]["reportPlay"]["trackId"] == "2"
    assert await PlayReport.filter(user_id=user["id"]).count() == 2


@pytest.mark.parametrize("changes,field", [
    ({"play_mode": "radio"}, "play_mode"),
    ({"play_mode": None}, "play_mode"),
    ({"total_time_played": -1}, "total_time_played"),
    ({"total_time_played": "a while"}, "total_time_played"),
    ({"total_time_played": 12.5}, "total_time_played"),
    ({"total_time_played": 86_401}, "total_time_played"),
    ({"played_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "played_at"),
    ({"played_at": "2025-11-01T09:37:15"}, "played_at"),  # no timezone
    ({"played_at": "yesterday"}, "played_at"),
    ({"played_at": 5}, "played_at"),
    ({"stream_id": "not-a-uuid"}, "stream_id"),
    ({"stream_id": str(uuid.uuid4())}, "stream_id"),  # never streamed by this user
    ({"stream_id": None}, "stream_id"),
])
async def test_bad_play_reports_are_422_and_store_nothing(api, tenant, streams, changes, field):
    user, udt, _ = await _user(api, tenant)
    await _manifest(api, udt)
    r = await api.http.post("/api/plays", json=_report(_sid(STREAMABLE), **changes), headers=bearer(udt))
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "The given data was invalid." and field in r.json()["errors"], r.json()
    assert await PlayReport.filter(user_id=user["id"]).count() == 0


async def test_play_report_bodies_and_tokens(api, tenant, other_tenant, streams):
    user, udt, _ = await _user(api, tenant)
    await _manifest(api, udt)
    for raw in (b"{not json", b"[1, 2]", b"{}"):
        r = await api.http.post("/api/plays", content=raw, headers={**bearer(udt), "content-type": "application/json"})
        assert r.status_code == 422, raw
    assert (await api.http.post("/api/plays", json=_report(_sid(STREAMABLE)))).status_code == 401
    r = await api.http.post("/api/plays", json=_report(_sid(STREAMABLE)), headers=tenant.auth)
    assert r.status_code == 403
    # A user of another tenant (or another user) cannot report a stream this user started.
    _, foreign, _ = await _user(api, other_tenant)
    r = await api.http.post("/api/plays", json=_report(_sid(STREAMABLE)), headers=bearer(foreign))
    assert r.status_code == 422 and "stream_id" in r.json()["errors"]
    # An unsubscribed user may still report plays made while subscribed (offline plays come late).
    await User.filter(id=user["id"]).update(status=UserStatus.UNSUBSCRIBED)
    assert (await api.http.post("/api/plays", json=_report(_sid(STREAMABLE)), headers=bearer(udt))).status_code == 201
    assert await PlayReport.all().filter(user_id=user["id"]).count() == 1


# --- forwarding -----------------------------------------------------------------------------------------

async def _reports(api, tenant, n: int) -> list[str]:
    _, udt, _ = await _user(api, tenant)
    await _manifest(api, udt)
    now = datetime.now(UTC)
    ids = []
    for i in range(n):
        body = _report(_sid(STREAMABLE), played_at=(now - timedelta(minutes=i + 1)).isoformat(),
                       total_time_played=10 + i)
        r = await api.http.post("/api/plays", json=body, headers=bearer(udt))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def test_reports_are_forwarded_in_batches_exactly_once(api, app, tenant, streams, upstream):
    plays = app.state.container.plays
    await plays.forward_due(force=True)  # whatever earlier tests left behind
    log = upstream.control
    few = await _reports(api, tenant, 3)
    assert await plays.forward_due() == 0  # fewer than the minimum batch, none waiting a minute yet
    assert not set(few) & set(log.play_arrivals)
    many = await _reports(api, tenant, 22)
    calls = log.counts["user/subscription/log"]
    assert await plays.forward_due() == 20  # one batch of the maximum; the 5 left wait
    assert log.counts["user/subscription/log"] == calls + 1
    await PlayReport.filter(id__in=few + many, forwarded_at=None).update(created_at=datetime.now(UTC) - timedelta(minutes=2))
    assert await plays.forward_due() == 5  # the rest once they are old enough
    assert await plays.forward_due(force=True) == 0
    assert all(log.play_arrivals[i] == 1 for i in few + many)
    item = log.plays[many[0]]
    assert item["trackId"] == 2 and item["releaseId"] == 2 and item["playMode"] == "online"
    assert item["totalTimePlayed"] == 10 and item["dateTimePlayed"].endswith("Z") and item["formatId"]
    assert await PlayReport.filter(id__in=few + many, forwarded_at=None).count() == 0


async def test_failed_forwarding_backs_off_and_retries(api, app, tenant, streams, upstream):
    plays = app.state.container.plays
    await plays.forward_due(force=True)
    ids = await _reports(api, tenant, 2)
    upstream.control.set_faults(fail_status=503, paths=["user/subscription/log"])
    assert await plays.forward_due(force=True) == 0
    rows = await PlayReport.filter(id__in=ids)
    assert all(r.attempts == 1 and r.forwarded_at is None and r.last_error == "AGGREGATOR_ERROR" for r in rows)
    assert all(r.next_attempt_at > datetime.now(UTC) - timedelta(seconds=1) and r.claim is None for r in rows)
    upstream.control.clear_faults()
    app.state.container.aggregator.breaker.record_success()
    await PlayReport.filter(id__in=ids).update(next_attempt_at=datetime.now(UTC))  # the backoff elapsed
    assert await plays.forward_due(force=True) >= 2
    assert [upstream.control.play_arrivals[i] for i in ids] == [1, 1]


async def test_forwarding_backoff_follows_the_retry_policy(api, app, tenant, streams, upstream):
    """Each failed pass makes one POST (never retried blindly) and schedules the batch by the one
    RetryPolicy: after the n-th failure, within min(wait_max, wait_initial * 2^(n-1)) seconds."""
    container = app.state.container
    await container.plays.forward_due(force=True)
    policy = RetryPolicy(attempts=None, wait_initial=100, wait_max=250)
    plays = PlayForwarder(container.aggregator, container.catalog, ForwardPolicy(retry=policy))
    ids = await _reports(api, tenant, 2)
    upstream.control.set_faults(fail_status=503, paths=["user/subscription/log"])
    posts = upstream.control.counts["user/subscription/log"]
    for failures in (1, 2):
        before = datetime.now(UTC)
        assert await plays.forward_due(force=True) == 0
        assert upstream.control.counts["user/subscription/log"] == posts + failures
        bound = timedelta(seconds=min(250, 100 * 2 ** (failures - 1)) + 1)
        for row in await PlayReport.filter(id__in=ids):
            assert row.attempts == failures and before <= row.next_attempt_at <= before + bound
        await PlayReport.filter(id__in=ids).update(next_attempt_at=datetime.now(UTC))  # the wait elapsed
    upstream.control.clear_faults()
    assert await plays.forward_due(force=True) >= 2
    assert [upstream.control.play_arrivals[i] for i in ids] == [1, 1]


async def test_the_play_log_checks_its_oauth_signature(upstream, aggregator_server):
    async with httpx.AsyncClient() as client:
        item = {"id": "x", "trackId": 2, "playMode": "online", "totalTimePlayed": 1, "dateTimePlayed": "2025-01-01T00:00:00Z"}
        r = await client.post(f"{aggregator_server.url}/1.2/user/subscription/log?oauth_consumer_key={AGGREGATOR_KEY}",
                              json={"playLogItems": [item]})
        assert r.status_code == 401 and r.json()["error"]["code"] == 2002
    assert upstream.control.play_stats()["accepted"] == 0


# --- a restart between report and forward -----------------------------------------------------------

def _serve(settings, aggregator_server, streaming_server, port: int, log: Path, **env: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    environ.update({
        "PYTHONPATH": str(ROOT), "DATABASE_URL": settings.database_url, "DATA_DIR": str(settings.data_dir),
        "SIGNING_KEYS": settings.signing_keys or "", "SEED_DEMO": "false", "SELF_URL": f"http://127.0.0.1:{port}",
        "AGGREGATOR_URL": f"{aggregator_server.url}/1.2", "AGGREGATOR_KEY": AGGREGATOR_KEY,
        "STREAMING_URL": streaming_server.url, "STREAMING_KEY": STREAMING_KEY,
        "STREAMING_SIGNING_SECRET": STREAMING_SECRET, "PLAYS_FORWARD": "true", "PLAYS_FORWARD_INTERVAL": "0.1",
        **env,
    })
    return start_process([sys.executable, "-m", "uvicorn", "--factory", "yourmusic.app:create_app", "--host",
                          "127.0.0.1", "--port", str(port), "--log-level", "warning"], port, log, cwd=ROOT, env=environ)


@pytest.mark.slow  # a subprocess
async def test_reports_survive_a_restart_and_arrive_exactly_once(api, app, tenant, settings, aggregator_server,
                                                                 streaming_server, streams, upstream, tmp_path):
    await app.state.container.plays.forward_due(force=True)  # whatever earlier tests left behind
    _, udt, _ = await _user(api, tenant)
    log = upstream.control
    port = free_port()
    first = _serve(settings, aggregator_server, streaming_server, port, tmp_path / "first.log",
                   PLAYS_BATCH_MIN="10", PLAYS_MAX_WAIT="3600")
    ids: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=bearer(udt)) as client:
            r = await client.get(f"/api/stream/{_sid(STREAMABLE)}")
            assert r.status_code == 200, r.text
            for i in range(4):
                played = (datetime.now(UTC) - timedelta(minutes=i + 1)).isoformat()
                r = await client.post("/api/plays", json=_report(_sid(STREAMABLE), played_at=played))
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            await asyncio.sleep(0.5)  # several forwarder passes: 4 < 10 and none a minute old
            assert not set(ids) & set(log.play_arrivals)
    finally:
        stop_process(first)
    assert await PlayReport.filter(id__in=ids, forwarded_at=None).count() == 4

    # Started again (twice at once, like two instances), forwarding whatever waits: each arrives once.
    ports = [free_port(), free_port()]
    procs = [_serve(settings, aggregator_server, streaming_server, p, tmp_path / f"again-{p}.log", PLAYS_MAX_WAIT="0")
             for p in ports]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(log.play_arrivals[i] for i in ids):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # more passes: nothing is sent twice
    finally:
        for proc in procs:
            stop_process(proc)
    assert [log.play_arrivals[i] for i in ids] == [1, 1, 1, 1]
    assert await PlayReport.filter(id__in=ids, forwarded_at=None).count() == 0
