"""Rate limits of passwordless sign-in: per client IP (both OTP endpoints), per address (interval,
window), each tripping with 429 RATE_LIMITED + Retry-After and recovering; X-Forwarded-For only from
trusted proxies; the same limits shared through Redis by several instances.

Each test runs on a container of its own (fresh cache) with short windows, so nothing here sleeps
for minutes or leaks a counter into another test.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid

import pytest
import redis.asyncio as aioredis

from tests.api import Passwordless
from yourmusic.proxies import parse_networks, proxy_headers, trusted_hosts

REDIS_URL = "redis://127.0.0.1:6379/15"
RATE_LIMITED = {"message": "Too Many Attempts.", "code": "RATE_LIMITED"}


def new_email() -> str:
    return f"rl-{uuid.uuid4().hex[:10]}@example.com"


def assert_limited(r, window: int) -> None:
    assert r.status_code == 429, r.text
    assert r.json() == RATE_LIMITED
    assert 1 <= int(r.headers["retry-after"]) <= window



async def test_ip_throttle_counts_malformed_requests_first(api, tenant, use_container, client_at):
    """The IP budget is spent before the body is read: a flood of malformed requests trips it too, and
    past it even a malformed one answers 429, not 422."""
    use_container(otp_ip_limit=2, otp_ip_window=30)
    me = client_at("203.0.113.20")
    for path in ("/api/auth/otp/request", "/api/auth/otp/authenticate"):
        assert (await me.post(path, json={"tenant": tenant.slug})).status_code == 422
    for path in ("/api/auth/otp/request", "/api/auth/otp/authenticate"):
        assert_limited(await me.post(path, json={"email": 7}), 30)

async def test_ip_throttle_trips_and_recovers(api, tenant, use_container, mailbox, client_at):
    pw = Passwordless(api.http, use_container(otp_ip_limit=3, otp_ip_window=2), mailbox)
    me, neighbour = client_at("203.0.113.10"), client_at("203.0.113.11")
    for _ in range(2):
        assert (await pw.request(tenant.slug, new_email(), http=me)).status_code == 200
    # Both OTP endpoints draw on one budget per address.
    assert (await pw.authenticate(tenant.slug, new_email(), "123456", http=me)).status_code == 401
    assert_limited(await pw.request(tenant.slug, new_email(), http=me), 2)
    assert_limited(await pw.authenticate(tenant.slug, new_email(), "123456", http=me), 2)
    # Another client is not affected.
    assert (await pw.request(tenant.slug, new_email(), http=neighbour)).status_code == 200
    # Refused hits do not extend the window: it ends as it would have.
    await asyncio.sleep(2.1)
    assert (await pw.request(tenant.slug, new_email(), http=me)).status_code == 200


async def test_ip_throttle_default_is_30_a_minute(api, tenant, use_container, mailbox, client_at):
    pw = Passwordless(api.http, use_container(), mailbox)
    http = client_at("198.51.100.30")
    answers = [await pw.request(tenant.slug, new_email(), http=http) for _ in range(31)]
    assert [r.status_code for r in answers[:30]] == [200] * 30
    assert_limited(answers[30], 60)
    assert await pw.container.mail.drain(timeout=30)


async def test_address_interval_trips_and_recovers(api, tenant, other_tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(otp_send_interval=2), mailbox)
    email = new_email()
    assert (await pw.request(tenant.slug, email)).status_code == 200
    assert_limited(await pw.request(tenant.slug, email), 2)
    assert_limited(await pw.request(tenant.slug, email.upper()), 2)  # one address, whatever its case
    assert (await pw.request(tenant.slug, new_email())).status_code == 200  # another address
    assert (await pw.request(other_tenant.slug, email)).status_code == 200  # another tenant
    await pw.container.mail.drain()
    assert len(mailbox.to(email)) == 2  # tenant + other tenant; none for the refused ones
    await asyncio.sleep(2.1)
    assert (await pw.request(tenant.slug, email)).status_code == 200
    assert await pw.container.mail.drain()
    assert len(mailbox.to(email)) == 3


async def test_address_default_interval_is_60_seconds(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(), mailbox)
    email = new_email()
    assert (await pw.request(tenant.slug, email)).status_code == 200
    r = await pw.request(tenant.slug, email)
    assert_limited(r, 60)
    assert int(r.headers["retry-after"]) >= 58


async def test_sends_per_window_trip_and_recover(api, tenant, use_container, mailbox):
    pw = Passwordless(api.http, use_container(otp_send_interval=1, otp_sends_per_hour=2, otp_sends_window=4), mailbox)
    email = new_email()
    assert (await pw.request(tenant.slug, email)).status_code == 200
    await asyncio.sleep(1.1)
    assert (await pw.request(tenant.slug, email)).status_code == 200
    await asyncio.sleep(1.1)
    r = await pw.request(tenant.slug, email)  # the interval has passed, the window's budget has not
    assert_limited(r, 4)
    assert int(r.headers["retry-after"]) <= 2
    await asyncio.sleep(int(r.headers["retry-after"]) + 0.1)
    assert (await pw.request(tenant.slug, email)).status_code == 200


async def test_unknown_tenant_is_limited_like_a_real_one(api, use_container, mailbox):
    pw = Passwordless(api.http, use_container(), mailbox)
    ghost, email = f"ghost-{uuid.uuid4().hex[:8]}", new_email()
    assert (await pw.request(ghost, email)).status_code == 200
    assert_limited(await pw.request(ghost, email), 60)


async def test_limits_in_graphql(api, tenant, use_container):
    use_container(otp_send_interval=30)
    q = "mutation($t: String!, $e: String!){ requestEmailOtp(tenant: $t, email: $e){ message } }"
    email = new_email()
    ok = await api.gql(q, {"t": tenant.slug, "e": email})
    assert ok["data"]["requestEmailOtp"]["message"].startswith("If that email address is valid")
    limited = await api.gql(q, {"t": tenant.slug, "e": email})
    ext = limited["errors"][0]["extensions"]
    assert ext["code"] == "RATE_LIMITED" and 1 <= ext["retryAfter"] <= 30


# --------------------------------------------------------------------------- client address


@pytest.mark.parametrize("peer,forwarded,trusted,expected", [
    ("203.0.113.5", [], "", "203.0.113.5"),
    ("203.0.113.5", ["198.51.100.1"], "", "203.0.113.5"),  # no trusted proxy: the header is ignored
    ("203.0.113.5", ["198.51.100.1"], "10.0.0.0/8", "203.0.113.5"),  # the peer is not a trusted proxy
    ("10.0.0.2", ["198.51.100.1"], "10.0.0.0/8", "198.51.100.1"),
    ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.0.0.9"], "10.0.0.0/8", "198.51.100.1"),  # spoofed left part
    ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], "10.0.0.0/8", "198.51.100.1"),  # several headers
    ("10.0.0.2", ["10.0.0.7"], "10.0.0.0/8", "10.0.0.7"),  # only proxies: the farthest one
    ("10.0.0.2", ["junk, 198.51.100.1"], "10.0.0.0/8", "198.51.100.1"),
    ("10.0.0.2", ["[2001:db8::1]:4711"], "10.0.0.2", "2001:db8::1"),
    ("::ffff:10.0.0.2", ["198.51.100.1:80"], "10.0.0.2", "198.51.100.1"),  # a dual-stack listener's peer
    ("10.0.0.2", ["198.51.100.1"], "10.0.0.2/8, 192.0.2.1", "198.51.100.1"),  # host bits in a CIDR are fine
])
async def test_client_address_behind_trusted_proxies(peer, forwarded, trusted, expected):
    """What uvicorn's ProxyHeadersMiddleware, as `create_app` configures it from TRUSTED_PROXIES, makes
    the request's client."""
    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    wrapped = app
    for middleware in proxy_headers(trusted):
        wrapped = middleware.cls(wrapped, *middleware.args, **middleware.kwargs)
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    await wrapped({"type": "http", "client": (peer, 40000), "headers": headers, "scheme": "http"}, None, None)
    assert seen["client"] == expected


def test_trusted_proxies_parse():
    assert parse_networks(" 10.0.0.1, 192.168.0.0/16 ,,") == (
        ipaddress.ip_network("10.0.0.1/32"), ipaddress.ip_network("192.168.0.0/16"))
    assert trusted_hosts("10.0.0.1/8") == ["10.0.0.0/8", "::ffff:a00:0/104"]
    with pytest.raises(ValueError):
        parse_networks("10.0.0.1, not-an-ip")


async def test_forwarded_for_only_from_trusted_proxies(tenant, use_container, client_at):
    """Through the app: the session's settings trust 192.0.2.0/24 (tests/conftest.py)."""
    use_container(otp_ip_limit=1)

    async def request(peer, xff: str):
        body = {"tenant": tenant.slug, "email": new_email()}
        return await peer.post("/api/auth/otp/request", json=body, headers={"X-Forwarded-For": xff})

    # Untrusted: the header is ignored, both requests are the peer's.
    stranger = client_at("203.0.113.50")
    assert (await request(stranger, "198.51.100.1")).status_code == 200
    assert (await request(stranger, "198.51.100.2")).status_code == 429
    # Trusted: each forwarded client has its own budget; a forged left-hand entry changes nothing.
    proxy = client_at("192.0.2.50")
    assert (await request(proxy, "198.51.100.11")).status_code == 200
    assert (await request(proxy, "198.51.100.12")).status_code == 200
    assert (await request(proxy, "203.0.113.99, 198.51.100.11")).status_code == 429


# --------------------------------------------------------------------------- Redis


async def _drop_keys(namespace: str) -> None:
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=f"{namespace}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_limits_hold_across_instances_through_redis(app, api, tenant, use_container, mailbox, client_at):
    namespace = f"ym-test-{uuid.uuid4().hex[:8]}"
    shared = {"redis_url": REDIS_URL, "cache_namespace": namespace, "otp_ip_limit": 2}
    first, second = use_container(**shared), use_container(**shared)  # two instances, one Redis

    def on(container, http=None) -> Passwordless:
        app.state.container = container  # the next requests are served by this instance
        return Passwordless(http or api.http, container, mailbox)

    http = client_at("198.51.100.77")
    email = new_email()
    try:
        one = on(first)
        assert (await one.request(tenant.slug, email, http=http)).status_code == 200
        assert (await one.request(tenant.slug, new_email(), http=http)).status_code == 200
        two = on(second)
        assert_limited(await two.request(tenant.slug, new_email(), http=http), 60)
        assert_limited(await two.request(tenant.slug, email), 60)  # the address interval too
        client = aioredis.from_url(REDIS_URL)
        try:
            keys = [k.decode() async for k in client.scan_iter(match=f"{namespace}*")]
        finally:
            await client.aclose()
        assert keys and not any("@" in k or "198.51.100.77" in k for k in keys)  # no addresses in Redis

        # A session family checked on one instance and revoked on the other: the shared cache
        # entry is replaced on revocation, so the first instance refuses at once.
        session = await on(second, client_at("198.51.100.78")).session(tenant.slug, new_email())
        assert (await on(first).me(session["access_token"])).status_code == 200
        assert (await on(second).logout(session["refresh_token"])).status_code == 204
        assert (await on(first).me(session["access_token"])).status_code == 401
    finally:
        await _drop_keys(namespace)


async def test_redis_down_never_locks_sign_in_out(api, tenant, use_container, mailbox, caplog):
    pw = Passwordless(api.http, use_container(redis_url="redis://127.0.0.1:1/0", otp_ip_limit=1), mailbox)
    session = await pw.session(tenant.slug, new_email())  # request + authenticate + signup: 2 OTP calls
    assert (await pw.me(session["access_token"])).status_code == 200
    assert "rate limiter unavailable" in caplog.text
