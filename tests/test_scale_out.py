"""Scale-out: two real `yourmusic serve` processes (different ports) on one PostgreSQL and one Redis.

Nothing that matters lives in a process: an OTP rate limit tripped through A holds on B, a refresh
token rotated on A and replayed on B revokes the whole family (A's access token dies with it), a
catalog entry cached through A is a hit on B (the sandbox aggregator sees no new request), and a
playlist changed through B's REST API reaches a GraphQL subscriber on A's WebSocket (Redis pub/sub).
PostgreSQL only (SQLite is one file on one machine: not a scale-out setup).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import orjson
import pytest
import redis
import websockets

from tests.api import bearer
from tests.mailbox import free_port
from tests.servers import start_process

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "postgres",
                                reason="scale-out needs the shared PostgreSQL (TEST_DATABASE=postgres)")]

REDIS_DB = 15
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    return start_process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], port, log, env=env, ready="/readyz")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Instances(NamedTuple):
    """The two instances' base URLs and their `serve` processes' ids."""

    a: str
    b: str
    pids: tuple[int, int]


@pytest.fixture
def instances(app, settings, mailbox, aggregator_server, streaming_server, stripe_sandbox,
              tmp_path) -> Iterator[Instances]:
    """Two instances (A, B) sharing the session's database, one Redis namespace and the signing keys."""
    namespace = f"ym-scale-{uuid.uuid4().hex[:8]}"
    common = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": REDIS_URL,
        "CACHE_NAMESPACE": namespace,
        "SIGNING_KEYS": settings.signing_keys or "",
        "SEED_DEMO": "false",
        "SESSION_REFRESH_REUSE_INTERVAL": "0",  # any second use is reuse (the interval: test_token_liveness.py)
        "AGGREGATOR_URL": settings.aggregator_url,
        "AGGREGATOR_KEY": settings.aggregator_key,
        "STREAMING_URL": settings.streaming_url,
        "STREAMING_KEY": settings.streaming_key,
        "STREAMING_SIGNING_SECRET": settings.streaming_signing_secret,
        "STRIPE_API_BASE": settings.stripe_api_base,
        "STRIPE_API_KEY": settings.stripe_api_key,
        "STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret,
        "PLAYS_FORWARD": "false",
        "SMTP_URL": mailbox.url,
        "OTP_IP_LIMIT": "1000",  # every call comes from 127.0.0.1: the per-address limit is the one shown
        "LOG_LEVEL": "warning",
    }
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    procs = []
    urls = []
    try:
        for name in ("a", "b"):  # one after the other: each `serve` applies pending migrations first
            port = free_port()
            data_dir = tmp_path / name
            data_dir.mkdir()
            procs.append(_start({**env, **common, "DATA_DIR": str(data_dir)}, port, tmp_path / f"{name}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        yield Instances(urls[0], urls[1], (procs[0].pid, procs[1].pid))
    finally:
        for proc in procs:
            _stop(proc)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _code(mailbox, email: str) -> str:
    deadline = time.monotonic() + 15
    while not mailbox.to(email):
        assert time.monotonic() < deadline, f"no mail for {email}"
        time.sleep(0.05)
    return mailbox.last(email).code


def _session(base: str, tenant_slug: str, email: str, mailbox) -> dict:
    r = httpx.post(f"{base}/api/auth/otp/request", json={"tenant": tenant_slug, "email": email})
    assert r.status_code == 200, r.text
    code = _code(mailbox, email)
    r = httpx.post(f"{base}/api/auth/otp/authenticate",
                   json={"tenant": tenant_slug, "email": email, "code": code, "device_id": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    body = r.json()
    if "onboarding_token" in body:
        r = httpx.post(f"{base}/api/auth/signup", json={"onboarding_token": body["onboarding_token"],
                                                        "first_name": "Sam", "last_name": "Scale",
                                                        "date_of_birth": "1990-02-03"})
        assert r.status_code == 201, r.text
        body = r.json()
    return body


def test_two_instances_share_limits_sessions_and_cache(instances, tenant, mailbox, aggregator_server):
    a, b, _ = instances

    # 1. An OTP rate limit tripped through A holds on B (the per-address interval, in Redis).
    email = f"scale-{uuid.uuid4().hex[:8]}@example.com"
    assert httpx.post(f"{a}/api/auth/otp/request", json={"tenant": tenant.slug, "email": email}).status_code == 200
    limited = httpx.post(f"{b}/api/auth/otp/request", json={"tenant": tenant.slug, "email": email})
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 60

    # 2. Refresh rotated on A, the spent token replayed on B: the family is revoked everywhere.
    session = _session(a, tenant.slug, f"rot-{uuid.uuid4().hex[:8]}@example.com", mailbox)
    assert httpx.get(f"{b}/api/me", headers=bearer(session["access_token"])).status_code == 200
    rotated = httpx.post(f"{a}/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()
    assert httpx.get(f"{a}/api/me", headers=bearer(fresh["access_token"])).status_code == 200
    reuse = httpx.post(f"{b}/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert reuse.status_code == 401
    assert httpx.get(f"{a}/api/me", headers=bearer(fresh["access_token"])).status_code == 401
    assert httpx.post(f"{a}/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 401

    # 3. A catalog entry filled through A is a cache hit on B: the aggregator sees no new request.
    def upstream_requests() -> int:
        return httpx.get(f"{aggregator_server.url}/_sandbox/stats").json()["total"]

    track = "17"
    r = httpx.get(f"{a}/api/tracks/{track}", headers=tenant.auth)
    assert r.status_code == 200, r.text
    before = upstream_requests()
    again = httpx.get(f"{b}/api/tracks/{track}", headers=tenant.auth)
    assert again.status_code == 200 and again.json() == r.json()
    assert upstream_requests() == before

    # Both instances are ready and expose their own metrics.
    for base in (a, b):
        assert httpx.get(f"{base}/readyz").json()["checks"] == {"database": "ok", "cache": "ok"}
        assert "yourmusic_http_requests_total" in httpx.get(f"{base}/metrics").text


def _user_token(base: str, tenant) -> str:
    r = httpx.post(f"{base}/api/users", headers=tenant.auth,
                   json={"first_name": "Lee", "last_name": "Live", "email": f"live-{uuid.uuid4().hex[:8]}@example.com",
                         "date_of_birth": "1990-04-05"})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{base}/api/users/{r.json()['id']}/udt", json={"deviceId": str(uuid.uuid4())}, headers=tenant.auth)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _playlist(base: str, token: str, name: str) -> str:
    r = httpx.post(f"{base}/api/playlists", json={"playlist_name": name}, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _next_data(ws, id: str, timeout: float) -> dict:
    """The data of the next `next` message of operation `id` (pings answered); a TEXT frame, as browsers need."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        assert isinstance(frame, str), f"a binary frame: {frame!r}"
        message = orjson.loads(frame)
        if message["type"] == "ping":
            await ws.send(orjson.dumps({"type": "pong"}).decode())
            continue
        assert message.get("id") == id and message["type"] == "next", message
        return message["payload"]["data"]


async def test_a_change_through_one_instance_reaches_a_subscriber_of_the_other_within_a_second(instances, tenant):
    """A GraphQL subscriber on A's WebSocket (a real client, graphql-transport-ws); the owner renames the
    playlist and adds a track through B's REST API; each change reaches the subscriber in < 1 s."""
    a, b, pids = instances
    assert a != b and pids[0] != pids[1]  # two processes, two ports
    for pid in pids:
        assert Path(f"/proc/{pid}").exists()
    owner = _user_token(a, tenant)
    playlist = _playlist(b, owner, "Scale-out")
    query = "subscription ($id: ID!) { playlistChanged(id: $id) { id name trackCount } }"
    async with websockets.connect(a.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"],
                                  open_timeout=5) as ws, httpx.AsyncClient(base_url=b) as via_b:
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {owner}"}}).decode())
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe",
                                    "payload": {"query": query, "variables": {"id": playlist}}}).decode())
        assert (await _next_data(ws, "1", 5))["playlistChanged"]["name"] == "Scale-out"  # the current state

        delays = []
        started = time.monotonic()
        r = await via_b.patch(f"/api/playlists/{playlist}", json={"playlist_name": "Renamed on B"},
                              headers=bearer(owner))
        assert r.status_code == 200, r.text
        assert (await _next_data(ws, "1", 2))["playlistChanged"] == {"id": playlist, "name": "Renamed on B",
                                                                     "trackCount": 0}
        delays.append(time.monotonic() - started)
        started = time.monotonic()
        r = await via_b.post(f"/api/playlists/{playlist}/tracks", json={"track_id": "1"}, headers=bearer(owner))
        assert r.status_code == 201, r.text
        assert (await _next_data(ws, "1", 2))["playlistChanged"]["trackCount"] == 1
        delays.append(time.monotonic() - started)
        assert max(delays) < 1.0, delays  # from the REST call's start on B to the message on A
