"""Issue 17.6: a playlist's whole track list (`GET /api/playlists/{id}?with=tracks`, `GET
/api/playlists/{id}/tracks`) is streamed a chunk at a time, with the bytes the one-piece answer had.

Chunks are made small here (ENTRY_CHUNK patched) so a few entries cover the multi-chunk paths.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.api import Api, TenantHandle, bearer
from tests.statements import flat, sent_statements
from yourmusic.bulk import insert_all
from yourmusic.context import Context
from yourmusic.errors import NotFound
from yourmusic.models import Playlist, PlaylistTrack
from yourmusic.resolvers import playlists as playlist_resolvers
from yourmusic.resolvers.streaming import add_stream_ids
from yourmusic.rest_compat.playlists import PlaylistOut, PlaylistTrackOut
from yourmusic.services import playlists as svc

MISSING = "999999"  # not in the sandbox catalog: the entry's `track` is null
NOT_STREAMABLE = "1"  # in the catalog, not streamable: its `streamId` is null


async def _owner(api: Api, tenant: TenantHandle) -> tuple[dict[str, str], str]:
    user = await api.create_user(tenant)
    auth = bearer(await api.udt(tenant, user["id"]))
    r = await api.http.post("/api/playlists", json={"playlist_name": "Stream"}, headers=auth)
    assert r.status_code == 201, r.text
    return auth, r.json()["id"]


async def _fill(pid: str, track_ids: list[str]) -> None:
    """Entries written as rows (a catalog track removed since it was added cannot be added through the
    API), with times that have and have not microseconds."""
    base = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    rows = [PlaylistTrack(id=uuid.uuid4(), playlist_id=pid, track_id=t, rank=n * svc.GAP,
                          created_at=base + timedelta(seconds=n, microseconds=(n % 3) * 12_345),
                          updated_at=base + timedelta(minutes=n))
            for n, t in enumerate(track_ids, start=1)]
    await insert_all(rows)
    await Playlist.filter(id=pid).update(track_count=len(rows), rank_end=len(rows) * svc.GAP)


async def _one_piece(app: Any, pid: str, with_playlist: bool) -> bytes:
    """The answer as it was built before streaming (main at 7e781be): every entry an ORM object dumped
    through PlaylistTrackOut, its catalog track through the TrackById loader, one orjson body."""
    ctx = Context(request=None, container=app.state.container)  # type: ignore[arg-type]
    entries = await PlaylistTrack.filter(playlist_id=pid).order_by("rank")
    for n, entry in enumerate(entries, start=1):
        entry.position = n
    loaded = [await _load(ctx, e.track_id) for e in entries]
    tracks = await add_stream_ids(ctx, loaded)
    listed = []
    for entry, track in zip(entries, tracks):
        out = PlaylistTrackOut.dump(entry)
        out["track"] = track
        listed.append(out)
    if not with_playlist:
        return orjson.dumps(listed)
    body = PlaylistOut.dump(await Playlist.get(id=pid))
    body["tracks"] = listed
    return orjson.dumps(body)


async def _load(ctx: Context, track_id: str) -> dict[str, Any] | None:
    try:
        return await ctx.loaders.track_by_id.load(track_id)
    except NotFound:
        return None


@pytest.mark.parametrize("chunk", [2, 7, 250])
async def test_bytes_are_the_one_piece_answer(api: Api, tenant: TenantHandle, app: Any, upstream: Any,
                                              streams: Any, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(svc, "ENTRY_CHUNK", chunk)
    auth, pid = await _owner(api, tenant)
    # 7 entries: a repeat, a missing track, a track that is not streamable; chunk 7 ends on a full chunk.
    await _fill(pid, ["2", NOT_STREAMABLE, "9", MISSING, "2", "3503", "17"])
    streamed = await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert streamed.status_code == 200 and streamed.headers["content-type"] == "application/json"
    assert streamed.content == await _one_piece(app, pid, with_playlist=True)
    tracks = streamed.json()["tracks"]
    assert [e["order"] for e in tracks] == list(range(1, 8))
    assert tracks[3]["track"] is None and tracks[1]["track"]["streamId"] is None
    assert tracks[0]["track"]["streamId"] is not None
    listed = await api.http.get(f"/api/playlists/{pid}/tracks", headers=auth)
    assert listed.status_code == 200 and listed.content == await _one_piece(app, pid, with_playlist=False)


async def test_empty_playlist(api: Api, tenant: TenantHandle, app: Any) -> None:
    auth, pid = await _owner(api, tenant)
    r = await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert r.status_code == 200 and r.content == await _one_piece(app, pid, with_playlist=True)
    assert r.json()["tracks"] == []
    r = await api.http.get(f"/api/playlists/{pid}/tracks", headers=auth)
    assert r.status_code == 200 and r.content == b"[]"


async def _asgi_get(app: Any, path: str, headers: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One GET straight through the ASGI app: its start message and every body message, as sent."""
    target, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": target, "raw_path": target.encode(),
             "query_string": query.encode(), "root_path": "", "server": ("testserver", 80),
             "client": ("127.0.0.1", 50000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()]}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0], [m for m in sent[1:] if m["type"] == "http.response.body"]


async def test_sent_in_chunks(api: Api, tenant: TenantHandle, app: Any, upstream: Any,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "ENTRY_CHUNK", 3)
    auth, pid = await _owner(api, tenant)
    await _fill(pid, [str(n) for n in range(1, 11)])  # 10 entries: chunks of 3, 3, 3, 1
    start, bodies = await _asgi_get(app, f"/api/playlists/{pid}?with=tracks", auth)
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    # No Content-Length: the server sends it chunked (Transfer-Encoding: chunked, bench/big_playlist.py).
    assert start["status"] == 200 and "content-length" not in headers
    assert headers["content-type"] == "application/json"
    parts = [m["body"] for m in bodies if m["body"]]
    assert len(parts) == 5 and all(m["more_body"] for m in bodies[:-1]) and not bodies[-1]["more_body"]
    assert [len(orjson.loads(b"[" + p[1:] + b"]")) for p in parts[1:-1]] == [3, 3, 1]  # ",{..},{..}"
    assert [e["order"] for e in orjson.loads(b"".join(parts))["tracks"]] == list(range(1, 11))


async def test_statements_grow_by_chunks(api: Api, tenant: TenantHandle, upstream: Any) -> None:
    auth, pid = await _owner(api, tenant)
    for size in (svc.ENTRY_CHUNK - 10, 3 * svc.ENTRY_CHUNK + 10):
        await PlaylistTrack.filter(playlist_id=pid).delete()
        await _fill(pid, [str(n % 300 + 1) for n in range(size)])
        with sent_statements() as seen:
            r = await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
            assert len(r.json()["tracks"]) == size
        entries = [flat(s) for s, _ in seen if '"PLAYLIST_TRACKS"' in flat(s)]
        chunks = [s for s in entries if "DISTINCT" not in s]
        assert len(chunks) == math.ceil((size + 1) / svc.ENTRY_CHUNK), entries  # one per chunk (keyset)
        assert len(entries) - len(chunks) == (0 if size < svc.ENTRY_CHUNK else 1), entries  # the catalog warm-up
        # The visibility read; a list read in several statements is checked unchanged at its end.
        reads = [flat(s) for s, _ in seen if '"PLAYLISTS"' in flat(s)]
        assert len(reads) == (1 if size < svc.ENTRY_CHUNK else 2) and len(seen) == len(entries) + len(reads), seen
        assert all(" OFFSET " not in s for s in chunks), chunks  # each chunk seeks: no skipping over rows


async def test_upstream_calls_one_per_50_ids(api: Api, tenant: TenantHandle, upstream: Any, streams: Any) -> None:
    auth, pid = await _owner(api, tenant)
    distinct = svc.ENTRY_CHUNK + 60  # two slices of the warm-up: 250 + 60 distinct tracks
    track_ids = [str(n % distinct + 1) for n in range(2 * svc.ENTRY_CHUNK + 100)]  # repeats across chunks
    await _fill(pid, track_ids)
    await upstream.reset()
    await streams.reset()
    r = await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert r.status_code == 200 and len(r.json()["tracks"]) == len(track_ids)
    assert upstream.control.counts["track/details/batch"] == upstream.calls == math.ceil(distinct / 50)
    streamable = sum(1 for e in r.json()["tracks"][:distinct] if e["track"]["streamId"] is not None)
    assert 0 < streams.calls <= math.ceil(streamable / 50) + 1, streams.control.counts
    r = await api.http.get(f"/api/playlists/{pid}/tracks", headers=auth)
    assert r.status_code == 200 and upstream.calls == math.ceil(distinct / 50)  # all cached now


@pytest.mark.parametrize("size", [5, 12])
async def test_aggregator_failure_before_the_first_byte(api: Api, tenant: TenantHandle, upstream: Any,
                                                       monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(svc, "ENTRY_CHUNK", 5)
    auth, pid = await _owner(api, tenant)
    await _fill(pid, [str(n) for n in range(100, 100 + size)])  # one full chunk / three chunks
    upstream.control.set_faults(fail_status=500)
    for path in (f"/api/playlists/{pid}?with=tracks", f"/api/playlists/{pid}/tracks"):
        r = await api.http.get(path, headers=auth)
        assert r.status_code == 502 and r.json()["code"] == "AGGREGATOR_ERROR", r.text
    upstream.control.clear_faults()
    r = await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert r.status_code == 200 and len(r.json()["tracks"]) == size


def _on_second_chunk(monkeypatch: pytest.MonkeyPatch, action: Any) -> list[int]:
    """Runs `action()` as the second chunk is built (the status and the first chunk have gone out);
    returns the count of chunks built so far, as a one-item list."""
    real = playlist_resolvers._with_tracks
    calls = [0]

    async def hooked(ctx: Context, chunk: list[svc.EntryRow]) -> Any:
        calls[0] += 1
        if calls[0] == 2:
            await action()
        return await real(ctx, chunk)

    monkeypatch.setattr(playlist_resolvers, "_with_tracks", hooked)
    return calls


async def test_failure_mid_stream_cuts_the_answer(api: Api, tenant: TenantHandle, upstream: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "ENTRY_CHUNK", 2)
    auth, pid = await _owner(api, tenant)
    await _fill(pid, ["1", "2", "3", "4", "5"])

    async def fail() -> None:
        raise RuntimeError("the cache and the aggregator went away")

    calls = _on_second_chunk(monkeypatch, fail)
    # The status and the first chunk have gone out: the error breaks the transfer (the server closes the
    # connection without the final chunk), it is never a complete-looking answer.
    with pytest.raises(RuntimeError):
        await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert calls == [2]


async def test_edit_during_a_long_read_cuts_the_answer(api: Api, tenant: TenantHandle, upstream: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "ENTRY_CHUNK", 2)
    auth, pid = await _owner(api, tenant)
    await _fill(pid, ["1", "2", "3", "4", "5"])
    real = playlist_resolvers._with_tracks

    async def move_last_to_top() -> None:  # the owner edits the list while it is being sent
        last = await PlaylistTrack.get(playlist_id=pid, rank=5 * svc.GAP)
        await svc.move_track(await Playlist.get(id=pid), last.id, 1)

    _on_second_chunk(monkeypatch, move_last_to_top)
    with pytest.raises(svc.EntriesChanged):  # chunks 1 2 | 3 4 | then 4 again: "4" twice, "5" missing
        await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    monkeypatch.setattr(playlist_resolvers, "_with_tracks", real)
    r = await api.http.get(f"/api/playlists/{pid}?with=tracks", headers=auth)
    assert [e["track_id"] for e in r.json()["tracks"]] == ["5", "1", "2", "3", "4"]


async def test_graphql_tracks_count_positions_along_the_order(api: Api, tenant: TenantHandle) -> None:
    auth, pid = await _owner(api, tenant)
    await _fill(pid, ["5", "6", "7", "8"])
    q = "query($id: ID!){ playlist(id: $id){ tracks(offset: 1, limit: 2){ order trackId } } }"
    r = await api.http.post("/graphql", json={"query": q, "variables": {"id": pid}}, headers=auth)
    assert r.json()["data"]["playlist"]["tracks"] == [{"order": 2, "trackId": "6"}, {"order": 3, "trackId": "7"}]


def test_entry_keys_are_the_documented_shape() -> None:
    row = svc.EntryRow(uuid.uuid4(), uuid.uuid4(), "7", 3, datetime(2025, 1, 1, tzinfo=UTC),
                       datetime(2025, 1, 1, 0, 0, 0, 5, tzinfo=UTC))
    from yourmusic.rest_compat.playlists import _entries_json

    one_piece = {**PlaylistTrackOut.dump(row), "track": {"id": 7}}
    assert b"[" + _entries_json([(row, {"id": 7})]) + b"]" == orjson.dumps([one_piece])


