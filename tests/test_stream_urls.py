"""Signed stream URLs (GET /api/stream/{id}/url, Query.streamUrl) opened with no header, REST playlist
tracks carrying `streamId`, and what the streaming operations answer when the streaming server is down.

Every case mints through both transports (REST and its GraphQL twin) and opens the URL as a player that
cannot send an Authorization header would: a bare GET.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import m3u8
import pytest

from tests.api import bearer, gql_codes
from tests.test_streaming import STREAMABLE, _sid, _user
from yourmusic.models import PlayStart, User, UserStatus
from yourmusic.principals import UserPrincipal
from yourmusic.schema.streaming import PlayMode
from yourmusic.security.stream_links import StreamLinkSigner
from yourmusic.services.streaming import PLAY_MODES

TRANSPORTS = ["rest", "graphql"]
HLS = "application/vnd.apple.mpegurl"


async def _mint(api, via: str, token: str, stream_id: str) -> tuple[int, dict]:
    """(status or the GraphQL error's HTTP-equivalent code, body) of minting a stream URL."""
    if via == "rest":
        r = await api.http.get(f"/api/stream/{stream_id}/url", headers=bearer(token))
        return r.status_code, r.json()
    result = await api.gql("query($s:ID!){ streamUrl(streamId:$s){ url expiresAt } }", {"s": stream_id}, token)
    if "errors" in result:
        return 0, {"code": gql_codes(result)[0]}
    found = result["data"]["streamUrl"]
    return 200, {"url": found["url"], "expires_at": found["expiresAt"]}


async def _url(api, via: str, token: str, stream_id: str = _sid(STREAMABLE)) -> str:
    status, body = await _mint(api, via, token, stream_id)
    assert status == 200, body
    return body["url"]


def _change(url: str, path: str | None = None, **params: str) -> str:
    """The URL with some query parameters (or its path) replaced."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return f"{parts.scheme}://{parts.netloc}{path or parts.path}?{urlencode({**query, **params})}"


@pytest.mark.parametrize("via", TRANSPORTS)
async def test_a_signed_url_plays_with_no_header(api, tenant, streams, streaming_server, via):
    user, udt, device = await _user(api, tenant)
    before = time.time()
    status, body = await _mint(api, via, udt, _sid(STREAMABLE))
    assert status == 200 and set(body) == {"url", "expires_at"}, body
    url = urlsplit(body["url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", f"/api/stream/{_sid(STREAMABLE)}/playlist.m3u8")
    query = parse_qs(url.query, keep_blank_values=True)
    assert query["tenant"] == [str(tenant.id)] and query["user"] == [user["id"]] and query["device"] == [device]
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + 290 <= expires.timestamp() <= time.time() + 301  # STREAMING_LINK_TTL, 300 s by default
    assert int(query["exp"][0]) == int(expires.timestamp())
    assert streams.control.counts["playlist"] == 0  # minting asks nothing of the streaming server
    assert await PlayStart.filter(user_id=user["id"]).count() == 0

    r = await api.http.get(body["url"])  # no Authorization header
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(HLS) and r.headers["cache-control"] == "private, no-store"
    playlist = m3u8.loads(r.text)
    assert playlist.is_endlist and playlist.segments
    async with httpx.AsyncClient() as client:
        for segment in (playlist.segments[0], playlist.segments[-1]):
            assert segment.uri.startswith(streaming_server.url + f"/streams/{_sid(STREAMABLE)}/segments/")
            q = parse_qs(urlsplit(segment.uri).query)
            assert q["user"] == [user["id"]] and q["device"] == [device]
            got = await client.get(segment.uri)
            assert got.status_code == 200 and got.content[0] == 0x47
    start = await PlayStart.get(user_id=user["id"])  # the play start, as the header route records it
    assert (str(start.tenant_id), str(start.device_id), str(start.stream_id)) == (  # type: ignore[attr-defined]
        str(tenant.id), device, _sid(STREAMABLE))
    # Opened again within its lifetime (a player re-reading the playlist): another start, same answer shape.
    assert (await api.http.get(body["url"])).status_code == 200
    assert await PlayStart.filter(user_id=user["id"]).count() == 2


@pytest.mark.parametrize("via", TRANSPORTS)
async def test_minting_needs_a_subscribed_user(api, tenant, streams, via):
    status, body = await _mint(api, via, tenant.token, _sid(STREAMABLE))
    assert (status, body["code"]) == ((403, "FORBIDDEN") if via == "rest" else (0, "FORBIDDEN"))
    _, lapsed, _ = await _user(api, tenant, UserStatus.SUBSCRIBED, timedelta(seconds=-1))
    status, body = await _mint(api, via, lapsed, _sid(STREAMABLE))
    assert body["code"] == "SUBSCRIPTION_REQUIRED" and status in (403, 0)
    _, udt, _ = await _user(api, tenant)
    for bad in ("not-a-uuid", "1"):
        status, body = await _mint(api, via, udt, bad)
        assert body["code"] == "NOT_FOUND" and status in (404, 0), bad
    assert streams.calls == 0


async def test_minting_without_a_token_is_a_bearer_challenge(api, streams):
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}/url")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"
    assert r.headers["www-authenticate"] == 'Bearer realm="yourmusic"'
    result = await api.gql("query($s:ID!){ streamUrl(streamId:$s){ url } }", {"s": _sid(STREAMABLE)})
    assert gql_codes(result) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("via", TRANSPORTS)
async def test_altered_forged_or_foreign_urls_are_401(api, tenant, other_tenant, streams, via):
    user, udt, device = await _user(api, tenant)
    other, other_udt, other_device = await _user(api, tenant)
    _, foreign_udt, _ = await _user(api, other_tenant)
    url = await _url(api, via, udt)
    theirs = await _url(api, via, other_udt)
    foreign = await _url(api, via, foreign_udt)
    mine = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
    their_sig = parse_qs(urlsplit(theirs).query)["sig"][0]
    another_stream = f"/api/stream/{_sid('4')}/playlist.m3u8"
    refused = {
        "forged signature": _change(url, sig="0" * 64),
        "another user (same tenant)": _change(url, user=other["id"]),
        "another user's signature on mine": _change(url, sig=their_sig),
        "another device": _change(url, device=other_device),
        "no device": _change(url, device=""),
        "a session claimed": _change(url, session=str(uuid.uuid4())),
        "another tenant": _change(url, tenant=str(other_tenant.id)),
        "a foreign tenant's url for my user": _change(foreign, user=user["id"], device=device),
        "later expiry": _change(url, exp=str(int(mine["exp"]) + 3600)),
        "another stream": _change(url, path=another_stream),
        "a malformed stream id": _change(url, path="/api/stream/not-a-uuid/playlist.m3u8"),
        # Not even comparable: non-ASCII text (hmac.compare_digest raised TypeError on str), digits that
        # int() refuses, a newline that would shift one signed field into the next.
        "a non-ASCII signature": _change(url, sig="\u00aa" + "0" * 63),
        "a superscript expiry": _change(url, exp="\u00b2"),
        "a newline in a signed field": _change(url, user=user["id"] + "\n", device=device),
    }
    for why, bad in refused.items():
        r = await api.http.get(bad)
        assert (r.status_code, r.json()["code"]) == (401, "INVALID_AUTH_TOKEN"), why
        assert "Traceback" not in r.text
    r = await api.http.get(url.split("?")[0] + "?" + urlencode({k: v for k, v in mine.items() if k != "sig"}))
    assert (r.status_code, r.json()["code"]) == (401, "UNAUTHENTICATED")
    assert (await api.http.get(url.split("?")[0])).json()["code"] == "UNAUTHENTICATED"
    assert streams.control.counts["playlist"] == 0  # nothing refused reached the streaming server...
    assert await PlayStart.filter(user_id__in=[user["id"], other["id"]]).count() == 0  # ...or counted a play
    for good in (url, theirs, foreign):  # the untouched URLs still open, each for its own user
        assert (await api.http.get(good)).status_code == 200


async def test_expired_urls_are_401_and_a_header_does_not_rescue_them(api, app, tenant, streams):
    user, udt, device = await _user(api, tenant)
    signer: StreamLinkSigner = app.state.container.streaming.links
    me = UserPrincipal(tenant_id=tenant.id, user_id=uuid.UUID(user["id"]), device_id=uuid.UUID(device))
    stale = signer.sign(me, uuid.UUID(_sid(STREAMABLE)), int(time.time()) - 1)
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}/playlist.m3u8?{stale}", headers=bearer(udt))
    assert (r.status_code, r.json()) == (401, {"message": "The stream link has expired.", "code": "INVALID_AUTH_TOKEN"})
    # The same signer, a future expiry: good (the URL alone decides, not a header).
    fresh = signer.sign(me, uuid.UUID(_sid(STREAMABLE)), int(time.time()) + 60)
    assert (await api.http.get(f"/api/stream/{_sid(STREAMABLE)}/playlist.m3u8?{fresh}")).status_code == 200
    # A key other than the API's (the streaming server's shared secret, say) mints nothing that opens.
    forged = StreamLinkSigner(b"k" * 32).sign(me, uuid.UUID(_sid(STREAMABLE)), int(time.time()) + 60)
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}/playlist.m3u8?{forged}")
    assert (r.status_code, r.json()["code"]) == (401, "INVALID_AUTH_TOKEN")


async def test_a_url_with_another_users_header_still_answers_for_its_own_user(api, tenant, streams):
    user, udt, device = await _user(api, tenant)
    _, other_udt, _ = await _user(api, tenant)
    url = await _url(api, "rest", udt)
    r = await api.http.get(url, headers=bearer(other_udt))
    assert r.status_code == 200
    q = parse_qs(urlsplit(m3u8.loads(r.text).segments[0].uri).query)
    assert (q["user"], q["device"]) == ([user["id"]], [device])


@pytest.mark.parametrize("via", TRANSPORTS)
@pytest.mark.parametrize("lost", ["unsubscribed", "period-over", "past-due", "user-deleted"])
async def test_entitlement_lost_between_mint_and_fetch(api, tenant, streams, via, lost):
    user, udt, _ = await _user(api, tenant)
    url = await _url(api, via, udt)
    if lost == "user-deleted":
        r = await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)
        assert r.status_code == 204
        expected = (401, "INVALID_AUTH_TOKEN")
    else:
        status, ends = {"unsubscribed": (UserStatus.UNSUBSCRIBED, timedelta(days=30)),
                        "period-over": (UserStatus.SUBSCRIBED, timedelta(seconds=-1)),
                        "past-due": (UserStatus.PAST_DUE, timedelta(days=30))}[lost]
        await User.filter(id=user["id"]).update(status=status, subscription_ends_at=datetime.now(UTC) + ends)
        expected = (403, "SUBSCRIPTION_REQUIRED")
    r = await api.http.get(url)
    assert (r.status_code, r.json()["code"]) == expected, r.text
    assert streams.control.counts["playlist"] == 0 and await PlayStart.filter(user_id=user["id"]).count() == 0


async def test_a_revoked_sessions_url_stops_opening(api, tenant, streams, signin):
    """A URL minted with a session access token is bound to its session: after logout it is a 401."""
    session = await signin.session(tenant.slug, f"s{uuid.uuid4().hex[:8]}@example.com")
    await User.filter(id=session["user"]["id"]).update(
        status=UserStatus.SUBSCRIBED, subscription_ends_at=datetime.now(UTC) + timedelta(days=30))
    url = await _url(api, "graphql", session["access_token"])
    assert parse_qs(urlsplit(url).query)["session"][0]
    assert (await api.http.get(url)).status_code == 200
    assert (await signin.logout(session["refresh_token"])).status_code == 204
    r = await api.http.get(url)
    assert (r.status_code, r.json()["code"]) == (401, "INVALID_AUTH_TOKEN")


async def test_unknown_stream_is_404_when_opened(api, tenant, streams):
    user, udt, _ = await _user(api, tenant)
    url = await _url(api, "rest", udt, str(uuid.uuid4()))
    r = await api.http.get(url)
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    assert await PlayStart.filter(user_id=user["id"]).count() == 0


async def test_cors_of_a_signed_url_follows_its_tenant(api, tenant, other_tenant, streams):
    ours, theirs = "https://player.tenant-a.example", "https://player.tenant-b.example"
    for handle, origin in ((tenant, ours), (other_tenant, theirs)):
        r = await api.http.put("/api/cors/origins", json={"origins": [origin]}, headers=handle.auth)
        assert r.status_code == 200, r.text
    _, udt, _ = await _user(api, tenant)
    url = await _url(api, "rest", udt)
    r = await api.http.get(url, headers={"Origin": ours})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ours
    r = await api.http.get(url, headers={"Origin": theirs})  # another tenant's player: the browser keeps it out
    assert "access-control-allow-origin" not in r.headers


# --- the streaming server down (the contract's 503) ----------------------------------------------------

async def test_streaming_server_down_is_503(api, tenant, streams):
    _, udt, _ = await _user(api, tenant)
    url = await _url(api, "rest", udt)
    streams.control.set_faults(fail_status=503, paths=["playlist"])
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
    assert (r.status_code, r.json()) == (503, {"message": "The streaming server is unavailable.",
                                               "code": "SERVICE_UNAVAILABLE"})
    assert streams.control.counts["playlist"] == 3  # retried like any 5xx
    r = await api.http.get(url)
    assert (r.status_code, r.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    result = await api.gql("query($s:ID!){ streamManifest(streamId:$s) }", {"s": _sid(STREAMABLE)}, udt)
    assert gql_codes(result) == ["SERVICE_UNAVAILABLE"]
    # Three failed calls opened the circuit (STREAMING_BREAKER_FAILURES=3 in tests): answered at once, still 503.
    assert streams.control.counts["playlist"] == 9
    r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
    assert (r.status_code, r.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert streams.control.counts["playlist"] == 9


async def test_streaming_server_unreachable_is_503(api, app_with, tenant, streams, app):
    from yourmusic.container import streaming_service
    from yourmusic.security.tokens import load_key_set
    from tests.servers import free_port

    settings = app.state.container.settings.model_copy(update={"streaming_url": f"http://127.0.0.1:{free_port()}"})
    original = app.state.container.streaming
    app.state.container.streaming = streaming_service(
        settings, app.state.container.cache, load_key_set(settings.signing_keys, settings.data_dir))
    try:
        _, udt, _ = await _user(api, tenant)
        r = await api.http.get(f"/api/stream/{_sid(STREAMABLE)}", headers=bearer(udt))
        assert (r.status_code, r.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
        # A catalog read still answers, streamId null.
        assert (await api.http.get(f"/api/tracks/{STREAMABLE}", headers=tenant.auth)).json()["track"]["streamId"] is None
    finally:
        await app.state.container.streaming.client.close()
        app.state.container.streaming = original


async def test_the_streaming_operations_document_what_they_answer(api):
    spec = (await api.http.get("/openapi.json")).json()["paths"]
    for path in ("/api/stream/{stream_id}", "/api/stream/{stream_id}/playlist.m3u8"):
        responses = spec[path]["get"]["responses"]
        assert {"502", "503", "504"} <= set(responses)
        codes = {s: [e["value"]["code"] for e in responses[s]["content"]["application/json"]["examples"].values()]
                 for s in ("502", "503", "504")}
        assert codes == {"502": ["STREAMING_ERROR"], "503": ["SERVICE_UNAVAILABLE"], "504": ["STREAMING_TIMEOUT"]}
        assert all("aggregator" not in responses[s]["description"].lower() for s in ("502", "503", "504"))
        assert "streaming server" in responses["503"]["description"]
    signed = spec["/api/stream/{stream_id}/playlist.m3u8"]["get"]
    assert signed["security"] == [] and "x-graphql" not in signed
    assert set(signed["responses"]["200"]["content"]) == {HLS}
    minted = spec["/api/stream/{stream_id}/url"]["get"]
    assert minted["x-graphql"] == "Query.streamUrl" and minted["security"] == [{"UDT": []}]
    assert set(minted["responses"]) >= {"200", "401", "403", "404"}


def test_graphql_play_modes_are_the_domains():
    assert [m.value for m in PlayMode] == list(PLAY_MODES)


# --- REST playlists carry streamId ---------------------------------------------------------------------

async def test_rest_playlist_tracks_carry_stream_ids_in_one_batch(api, tenant, streams, upstream):
    _, udt, _ = await _user(api, tenant)
    r = await api.http.post("/api/playlists", json={"playlist_name": "long"}, headers=bearer(udt))
    playlist = r.json()["id"]
    ids = [str(i) for i in range(1, 101)]
    r = await api.http.put(f"/api/playlists/{playlist}/tracks", json={"tracks": [{"track_id": t} for t in ids]},
                           headers=bearer(udt))
    assert r.status_code == 200, r.text
    r = await api.http.post(f"/api/playlists/{playlist}/tracks", json={"track_id": "101"}, headers=bearer(udt))
    assert r.status_code == 201, r.text
    ids.append("101")
    index = streams.server.app.state.streams
    expected = {t: (str(index.by_track[int(t)].id) if int(t) in index.by_track else None) for t in ids}
    assert any(v is None for v in expected.values())

    for path in (f"/api/playlists/{playlist}?with=tracks", f"/api/playlists/{playlist}/tracks"):
        await streams.reset()  # cold: every stream id asked of the streaming server
        r = await api.http.get(path, headers=bearer(udt))
        assert r.status_code == 200, r.text
        entries = r.json()["tracks"] if "with" in path else r.json()
        assert [e["track_id"] for e in entries] == ids
        assert {e["track_id"]: e["track"]["streamId"] for e in entries} == expected
        assert streams.control.counts["streams"] == 3 == -(-len(ids) // 50)  # one call per 50 tracks
        warm = await api.http.get(path, headers=bearer(udt))
        assert warm.json() == r.json() and streams.control.counts["streams"] == 3  # cached
    # The same object GET /api/tracks/{id} answers.
    one = (await api.http.get("/api/tracks/2", headers=bearer(udt))).json()["track"]
    assert next(e["track"] for e in entries if e["track_id"] == "2") == one
    # Writes answer entries without catalog tracks, as before (no streams call).
    await streams.reset()
    r = await api.http.post(f"/api/playlists/{playlist}/tracks", json={"track_id": "4"}, headers=bearer(udt))
    assert "track" not in r.json() and streams.calls == 0


async def test_rest_playlist_tracks_when_the_streaming_server_fails(api, tenant, streams, upstream):
    _, udt, _ = await _user(api, tenant)
    playlist = (await api.http.post("/api/playlists", json={"playlist_name": "p"}, headers=bearer(udt))).json()["id"]
    await api.http.put(f"/api/playlists/{playlist}/tracks", json={"tracks": [{"track_id": "2"}, {"track_id": "4"}]},
                       headers=bearer(udt))
    streams.control.set_faults(fail_status=500)
    r = await api.http.get(f"/api/playlists/{playlist}/tracks", headers=bearer(udt))
    assert r.status_code == 200 and [e["track"]["streamId"] for e in r.json()] == [None, None]
    assert all(e["track"]["title"] for e in r.json())
