"""Live updates (#19): GraphQL subscriptions over graphql-transport-ws on /graphql, through the WebSocket
as a client runs them; the after-commit publishing and the Redis bus underneath."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as aioredis
from tortoise.transactions import in_transaction

from tests.api import bearer
from tests.stripe_helpers import deliver, event
from tests.wsclient import Closed, WebSocket, connect
from yourmusic.live.bus import LocalBus, RedisBus
from yourmusic.live.events import playlist_changed, publish
from yourmusic.live.hub import Hub
from yourmusic.models import BillingProfile, Playlist, User

ME = "subscription { meChanged { id firstName status pmLastFour } }"
PLAYLIST = "subscription ($id: ID!) { playlistChanged(id: $id) { id name public trackCount } }"
REDIS_URL = "redis://127.0.0.1:6379/15"


async def _user(api, tenant) -> tuple[dict, str]:
    user = await api.create_user(tenant)
    return user, await api.udt(tenant, user["id"])


async def _playlist(api, token: str, name: str = "Road trip", public: bool = False) -> str:
    r = await api.http.post("/api/playlists", json={"playlist_name": name, "public": public}, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _next(ws: WebSocket, id: str, timeout: float = 5.0) -> dict:
    message = await ws.message(timeout)
    assert message["id"] == id and message["type"] == "next", message
    return message["payload"]["data"]


async def _error(ws: WebSocket, id: str, timeout: float = 5.0) -> list[str]:
    message = await ws.message(timeout)
    assert message["id"] == id and message["type"] == "error", message
    return [e.get("extensions", {}).get("code") for e in message["payload"]]


async def test_rest_edit_and_graphql_mutation_reach_a_subscriber(app, api, tenant):
    _, token = await _user(api, tenant)
    pid = await _playlist(api, token)
    ws = await connect(app, token)
    try:
        await ws.subscribe("1", PLAYLIST, {"id": pid})
        assert (await _next(ws, "1"))["playlistChanged"]["name"] == "Road trip"  # the current state first
        r = await api.http.patch(f"/api/playlists/{pid}", json={"playlist_name": "Renamed"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        assert (await _next(ws, "1"))["playlistChanged"] == {"id": pid, "name": "Renamed", "public": False,
                                                             "trackCount": 0}
        r = await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": "1"}, headers=bearer(token))
        assert r.status_code == 201, r.text
        assert (await _next(ws, "1"))["playlistChanged"]["trackCount"] == 1
        result = await api.gql('mutation ($id: ID!) { updatePlaylist(id: $id, input: {name: "Via GraphQL"}) { id } }',
                               {"id": pid}, token=token)
        assert "errors" not in result, result
        assert (await _next(ws, "1"))["playlistChanged"]["name"] == "Via GraphQL"
        await ws.send({"id": "1", "type": "complete"})
        assert await ws.quiet() == []
    finally:
        await ws.__aexit__()
    assert app.state.container.live.topics == 0  # the last subscriber gone: nothing left listening


async def test_me_changed_by_profile_update_and_stripe_webhook(app, api, tenant):
    user, token = await _user(api, tenant)
    ws = await connect(app, token)
    try:
        await ws.subscribe("me", ME)
        first = (await _next(ws, "me"))["meChanged"]
        assert first["id"] == user["id"] and first["status"] == "UNSUBSCRIBED"
        r = await api.http.patch("/api/me", json={"first_name": "Janet"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        assert (await _next(ws, "me"))["meChanged"]["firstName"] == "Janet"
        # A Stripe webhook (signed as Stripe signs it) changes the subscription state.
        row = await User.get(id=user["id"])
        profile = await BillingProfile.create(tenant_id=row.tenant_id, user_id=row.id,
                                              stripe_customer_id=f"cus_{uuid.uuid4().hex[:16]}")
        sub = {"id": "sub_1", "object": "subscription", "customer": profile.stripe_customer_id, "status": "active",
               "current_period_start": int(time.time()) - 10, "current_period_end": int(time.time()) + 86400,
               "default_payment_method": {"id": "pm_1", "object": "payment_method", "type": "card",
                                          "card": {"brand": "visa", "last4": "4242"}},
               "cancel_at_period_end": False, "metadata": {"tenant_id": str(row.tenant_id), "user_id": user["id"]}}
        r = await deliver(api.http, event("customer.subscription.created", sub))
        assert r.json()["status"] == "processed", r.text
        changed = (await _next(ws, "me"))["meChanged"]
        assert changed["status"] == "SUBSCRIBED" and changed["pmLastFour"] == "4242"
    finally:
        await ws.__aexit__()


async def test_visibility(app, api, tenant, other_tenant):
    _, owner = await _user(api, tenant)
    _, reader = await _user(api, tenant)
    _, foreigner = await _user(api, other_tenant)
    private = await _playlist(api, owner, "Private")
    public = await _playlist(api, owner, "Public", public=True)
    ws = await connect(app, reader)
    far = await connect(app, foreigner)
    try:
        await ws.subscribe("private", PLAYLIST, {"id": private})
        assert await _error(ws, "private") == ["NOT_FOUND"]  # the same answer as Query.playlist
        await ws.subscribe("nonsense", PLAYLIST, {"id": "not-a-uuid"})
        assert await _error(ws, "nonsense") == ["NOT_FOUND"]
        await far.subscribe("foreign", PLAYLIST, {"id": public})  # another tenant's id
        assert await _error(far, "foreign") == ["NOT_FOUND"]
        await ws.subscribe("public", PLAYLIST, {"id": public})
        assert (await _next(ws, "public"))["playlistChanged"]["name"] == "Public"
        # Turned private: the reader's stream ends with NOT_FOUND.
        r = await api.http.patch(f"/api/playlists/{public}", json={"public": False}, headers=bearer(owner))
        assert r.status_code == 200, r.text
        assert await _error(ws, "public") == ["NOT_FOUND"]
        # Deleted: the owner's own stream ends with NOT_FOUND too.
        own = await connect(app, owner)
        try:
            await own.subscribe("own", PLAYLIST, {"id": public})
            assert (await _next(own, "own"))["playlistChanged"]["public"] is False
            assert (await api.http.delete(f"/api/playlists/{public}", headers=bearer(owner))).status_code == 204
            assert await _error(own, "own") == ["NOT_FOUND"]
        finally:
            await own.__aexit__()
    finally:
        await ws.__aexit__()
        await far.__aexit__()


async def test_a_deleted_playlist_ends_a_public_readers_stream(app, api, tenant):
    _, owner = await _user(api, tenant)
    _, reader = await _user(api, tenant)
    pid = await _playlist(api, owner, public=True)
    ws = await connect(app, reader)
    try:
        await ws.subscribe("1", PLAYLIST, {"id": pid})
        await _next(ws, "1")
        result = await api.gql("mutation ($id: ID!) { deletePlaylist(id: $id) }", {"id": pid}, token=owner)
        assert result["data"] == {"deletePlaylist": True}
        assert await _error(ws, "1") == ["NOT_FOUND"]
    finally:
        await ws.__aexit__()


async def test_token_expiry_ends_subscriptions_with_invalid_auth_token(app, api, tenant):
    user, _ = await _user(api, tenant)
    container = app.state.container
    short = container.tokens.issue("udt", tenant.id, user["id"], 1, device_id=uuid.uuid4())
    ws = await connect(app, short)
    try:
        await ws.subscribe("me", ME)
        await _next(ws, "me")
        assert await _error(ws, "me", timeout=5) == ["INVALID_AUTH_TOKEN"]
        await ws.subscribe("again", ME)  # the connection's token is dead: every later operation too
        assert await _error(ws, "again") == ["INVALID_AUTH_TOKEN"]
        await asyncio.sleep(0.05)
        assert container.live.watchers(f"user:{tenant.id}:{user['id']}") == 0  # the ended stream let go
    finally:
        await ws.__aexit__()


async def test_a_deleted_user_ends_me_changed(app, api, tenant):
    user, token = await _user(api, tenant)
    ws = await connect(app, token)
    try:
        await ws.subscribe("me", ME)
        await _next(ws, "me")
        assert (await api.http.delete(f"/api/users/{user['id']}", headers=tenant.auth)).status_code == 204
        assert await _error(ws, "me") == ["INVALID_AUTH_TOKEN"]
    finally:
        await ws.__aexit__()


@pytest.mark.parametrize("payload", [None, {}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic x"},
                                     {"authorization": 42}])
async def test_bad_or_missing_token_at_init_is_4403(app, payload):
    async with WebSocket(app) as ws:
        await ws.send({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert closed.value.code == 4403


async def test_an_expired_token_at_init_is_4403(app, api, tenant):
    user, _ = await _user(api, tenant)
    expired = app.state.container.tokens.issue("udt", tenant.id, user["id"], -5, device_id=uuid.uuid4())
    async with WebSocket(app) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {expired}"}})
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert closed.value.code == 4403


async def test_init_timeout_is_4408(app_with):
    http = app_with(live_init_timeout=0.2)
    async with WebSocket(http.app) as ws:
        with pytest.raises(Closed) as closed:
            await ws.receive(timeout=3)
        assert closed.value.code == 4408


async def test_limits_subscriptions_and_connections(app_with, api, tenant):
    http = app_with(live_subscriptions_per_connection=2, live_connections_per_user=2)
    _, token = await _user(api, tenant)
    pid = await _playlist(api, token)
    first = await connect(http.app, token)
    second = await connect(http.app, token)
    try:
        for i in range(2):
            await first.subscribe(str(i), PLAYLIST, {"id": pid})
            await _next(first, str(i))
        await first.subscribe("3", PLAYLIST, {"id": pid})
        assert await _error(first, "3") == ["TOO_MANY_SUBSCRIPTIONS"]
        async with WebSocket(http.app) as third:  # a third connection of the same user in this process
            await third.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
            with pytest.raises(Closed) as closed:
                await third.receive()
            assert closed.value.code == 4429
    finally:
        await first.__aexit__()
        await second.__aexit__()
    again = await connect(http.app, token)  # closed connections free their places
    await again.__aexit__()


async def test_keepalive_pings(app_with, api, tenant):
    http = app_with(live_keepalive_interval=0.1)
    _, token = await _user(api, tenant)
    ws = await connect(http.app, token)
    try:
        assert await ws.receive(timeout=2) == {"type": "ping"}
        await ws.send({"type": "pong"})
    finally:
        await ws.__aexit__()


async def test_origins(app, api, tenant):
    _, token = await _user(api, tenant)
    origin = f"https://{uuid.uuid4().hex[:8]}.example.com"
    # A browser page of an origin no tenant allows: refused at the handshake.
    with pytest.raises(Closed) as refused:
        async with WebSocket(app, headers={"Origin": origin}):
            pass
    assert refused.value.accepted is False
    # The server's own origin (GraphiQL) and native clients (no Origin) are accepted.
    ws = await connect(app, token, headers={"Origin": "http://testserver"})
    await ws.__aexit__()
    ws = await connect(app, token)
    await ws.__aexit__()
    # An origin another tenant allows passes the handshake but not this tenant's connection_init.
    other = await api.new_tenant()
    r = await api.http.put("/api/cors/origins", json={"origins": [origin]}, headers=other.auth)
    assert r.status_code == 200, r.text
    async with WebSocket(app, headers={"Origin": origin}) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert closed.value.code == 4403
    # Allowed by the token's own tenant: accepted.
    r = await api.http.put("/api/cors/origins", json={"origins": [origin]}, headers=tenant.auth)
    assert r.status_code == 200, r.text
    ws = await connect(app, token, headers={"Origin": origin})
    await ws.__aexit__()


async def test_limits_apply_to_subscription_documents(app_with, api, tenant):
    http = app_with(graphql_max_depth=2)
    _, token = await _user(api, tenant)
    ws = await connect(http.app, token)
    try:
        aliases = "subscription { meChanged { " + " ".join(f"a{i}: id" for i in range(40)) + " } }"
        await ws.subscribe("aliases", aliases)
        assert await _error(ws, "aliases") == ["TOO_MANY_ALIASES"]
        deep = "subscription ($id: ID!) { playlistChanged(id: $id) { tracks { track { id } } } }"
        await ws.subscribe("deep", deep, {"id": str(uuid.uuid4())})
        assert await _error(ws, "deep") == ["QUERY_TOO_DEEP"]
        await ws.subscribe("ok", ME)  # the connection goes on
        await _next(ws, "ok")
    finally:
        await ws.__aexit__()


async def test_a_subscription_over_http_is_refused(api, tenant):
    _, token = await _user(api, tenant)
    r = await api.http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_rolled_back_write_publishes_nothing(app, api, tenant):
    _, token = await _user(api, tenant)
    pid = await _playlist(api, token)
    ws = await connect(app, token)
    hub = app.state.container.live
    try:
        await ws.subscribe("1", PLAYLIST, {"id": pid})
        await _next(ws, "1")
        loads = hub.loads
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await Playlist.filter(id=pid).update(name="Never")
                await publish(playlist_changed(tenant.id, uuid.UUID(pid)))  # queued until commit ...
                raise RuntimeError("the write fails after the event was queued")
        assert await ws.quiet(0.5) == [] and hub.loads == loads  # ... which never came
        async with in_transaction():
            await Playlist.filter(id=pid).update(name="Committed")
            await publish(playlist_changed(tenant.id, uuid.UUID(pid)))
            await asyncio.sleep(0.1)
            assert hub.loads == loads  # not before the commit
        assert (await _next(ws, "1"))["playlistChanged"]["name"] == "Committed"
    finally:
        await ws.__aexit__()


async def test_one_reload_per_event_shared_by_all_subscribers(app, api, tenant):
    _, owner = await _user(api, tenant)
    pid = await _playlist(api, owner, public=True)
    readers = [await _user(api, tenant) for _ in range(3)]
    sockets = [await connect(app, token) for _, token in readers]
    hub = app.state.container.live
    try:
        for ws in sockets:
            await ws.subscribe("1", PLAYLIST, {"id": pid})
            await _next(ws, "1")
        loads = hub.loads
        r = await api.http.patch(f"/api/playlists/{pid}", json={"playlist_name": "Shared"}, headers=bearer(owner))
        assert r.status_code == 200
        for ws in sockets:
            assert (await _next(ws, "1"))["playlistChanged"]["name"] == "Shared"
        assert hub.loads == loads + 1
    finally:
        for ws in sockets:
            await ws.__aexit__()


async def test_redis_bus_delivers_between_two_instances(tenant):
    namespace = f"ym-live-{uuid.uuid4().hex[:8]}"
    seen: list[object] = []

    async def load(event):
        seen.append(event)
        return {"id": event.entity_id}

    loaders = {"playlist": load, "user": load}
    here, there = Hub(RedisBus(REDIS_URL, namespace), loaders), Hub(RedisBus(REDIS_URL, namespace), loaders)
    elsewhere = Hub(RedisBus(REDIS_URL, f"{namespace}-other"), loaders)
    pid = uuid.uuid4()
    change = playlist_changed(tenant.id, pid)
    try:
        async with there.watch(change) as watcher, elsewhere.watch(change) as stranger:
            await asyncio.sleep(0.2)  # SUBSCRIBE reached Redis
            client = aioredis.from_url(REDIS_URL)
            assert await client.pubsub_numsub(f"{namespace}:live:{change.topic}") == [
                (f"{namespace}:live:{change.topic}".encode(), 1)]
            await client.aclose()
            await here.bus.publish(change)
            assert await asyncio.wait_for(watcher.next(), 2) == {"id": pid}
            await asyncio.sleep(0.2)
            assert not stranger._ready.is_set()  # another namespace: another deployment
        assert there.topics == 0
    finally:
        for hub in (here, there, elsewhere):
            await hub.close()


async def test_local_bus_coalesces_for_a_slow_consumer():
    loads = 0

    async def load(event):
        nonlocal loads
        loads += 1
        return loads

    hub = Hub(LocalBus(), {"playlist": load, "user": load})
    change = playlist_changed(uuid.uuid4(), uuid.uuid4())
    try:
        async with hub.watch(change) as watcher:
            for _ in range(50):
                await hub.bus.publish(change)
                await asyncio.sleep(0)
            await asyncio.sleep(0.05)
            assert await watcher.next() == loads  # only the latest state is held
            assert not watcher._ready.is_set()
    finally:
        await hub.close()


async def test_a_revoked_tenant_ends_subscriptions(app_with, api):
    tenant = await api.new_tenant()
    http = app_with(live_recheck_interval=0.2)
    _, token = await _user(api, tenant)
    ws = await connect(http.app, token)
    try:
        await ws.subscribe("me", ME)
        await _next(ws, "me")
        from yourmusic.models import Tenant

        await http.app.state.container.revocations.revoke_tenant(await Tenant.get(id=tenant.id))
        assert await _error(ws, "me", timeout=3) == ["INVALID_AUTH_TOKEN"]
    finally:
        await ws.__aexit__()


async def test_a_change_through_one_instance_reaches_a_subscriber_of_another_through_redis(
        app, app_with, use_container, settings, api, tenant):
    from yourmusic.container import Container

    namespace = f"ym-live-{uuid.uuid4().hex[:8]}"
    use_container(redis_url=REDIS_URL, cache_namespace=namespace)  # instance A: the session's app
    other = Container.build(settings.model_copy(update={"redis_url": REDIS_URL, "cache_namespace": namespace}))
    try:
        b = app_with(container=other)  # instance B: its own container, bus and hub
        _, token = await _user(api, tenant)
        pid = await _playlist(api, token)
        ws = await connect(b.app, token)
        try:
            await ws.subscribe("1", PLAYLIST, {"id": pid})
            await _next(ws, "1")
            started = time.monotonic()
            r = await api.http.patch(f"/api/playlists/{pid}", json={"playlist_name": "Through Redis"},
                                     headers=bearer(token))  # through A
            assert r.status_code == 200, r.text
            assert (await _next(ws, "1", timeout=2))["playlistChanged"]["name"] == "Through Redis"
            assert time.monotonic() - started < 1.0
            assert other.live.loads >= 1 and app.state.container.live.topics == 0  # B reloaded; A has no subscriber
        finally:
            await ws.__aexit__()
    finally:
        await other.close()


async def test_each_event_reads_tracks_with_fresh_loaders(app, api, tenant):
    _, token = await _user(api, tenant)
    pid = await _playlist(api, token)
    query = "subscription ($id: ID!) { playlistChanged(id: $id) { trackCount tracks { trackId track { id } } } }"
    ws = await connect(app, token)
    try:
        await ws.subscribe("1", query, {"id": pid})
        assert (await _next(ws, "1"))["playlistChanged"] == {"trackCount": 0, "tracks": []}
        for n, track in enumerate(("1", "2"), start=1):
            r = await api.http.post(f"/api/playlists/{pid}/tracks", json={"track_id": track}, headers=bearer(token))
            assert r.status_code == 201, r.text
            got = (await _next(ws, "1"))["playlistChanged"]
            assert got["trackCount"] == n and [t["track"]["id"] for t in got["tracks"]] == ["1", "2"][:n]
    finally:
        await ws.__aexit__()


async def test_after_commit_waits_for_the_outermost_transaction(app):
    from yourmusic.live.commit import after_commit

    ran: list[str] = []

    async def note(what: str) -> None:
        ran.append(what)

    await after_commit(lambda: note("outside"))  # no transaction: at once
    assert ran == ["outside"]
    async with in_transaction():
        async with in_transaction():  # a savepoint
            await after_commit(lambda: note("inner"))
        assert ran == ["outside"]
        await after_commit(lambda: note("outer"))
        assert ran == ["outside"]
    assert ran == ["outside", "inner", "outer"]
    with pytest.raises(RuntimeError):
        async with in_transaction():
            async with in_transaction():
                await after_commit(lambda: note("rolled back"))
            raise RuntimeError
    assert ran == ["outside", "inner", "outer"]


async def test_protocol_errors_close_with_their_codes(app, api, tenant):
    async with WebSocket(app, subprotocols=("graphql-ws",)) as legacy:  # the legacy protocol is not offered
        with pytest.raises(Closed) as closed:
            await legacy.receive()
        assert closed.value.code == 4406
    async with WebSocket(app) as early:
        await early.subscribe("1", ME)  # before connection_init
        with pytest.raises(Closed) as closed:
            await early.receive()
        assert closed.value.code == 4401
    _, token = await _user(api, tenant)
    ws = await connect(app, token)
    try:
        await ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert closed.value.code == 4429  # a second connection_init
    finally:
        await ws.__aexit__()
    ws = await connect(app, token)
    try:
        await ws.subscribe("q", "{ me { id } }")  # queries run on the WebSocket too
        assert (await _next(ws, "q"))["me"]["id"]
        assert (await ws.message())["type"] == "complete"
        await ws.subscribe("bad", "subscription {")
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert closed.value.code == 4400
    finally:
        await ws.__aexit__()
