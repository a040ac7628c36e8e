"""CORS (#16.1): preflights and actual requests from browsers on other origins, per tenant.

Through HTTP as a browser would send them (`Origin`, `Access-Control-Request-*`), against an app built
with `CORS_ORIGINS` sharing the session's database and cache; tenants manage their own origins over
REST, GraphQL and the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import m3u8
import pytest
from aiocache import RedisCache

from tests.api import bearer, gql_codes
from tests.conftest import STREAMING_SECRET
from tests.servers import start_server
from yourmusic.app import create_app
from yourmusic.cache import CacheStore, OrjsonSerializer
from yourmusic.integrations.streaming.sandbox import create_app as create_streaming_sandbox
from yourmusic.integrations.streaming.sandbox import stream_id_for
from yourmusic.models import CorsOrigin, User, UserStatus
from yourmusic.security.origins import BadOrigin, parse_origin, parse_origin_list
from yourmusic.services import origin_directory
from yourmusic.services.origin_directory import OriginDirectory

OPS = "https://ops.example"  # in CORS_ORIGINS: every tenant
ACAO = "access-control-allow-origin"


def uniq(name: str) -> str:
    return f"https://{name}-{uuid.uuid4().hex[:8]}.example"


@pytest.fixture
def http(app_with) -> httpx.AsyncClient:
    return app_with(cors_origins=f" {OPS}, http://LOCALHOST:3000 ")


async def set_origins(http, tenant, origins) -> httpx.Response:
    return await http.put("/api/cors/origins", json={"origins": origins}, headers=tenant.auth)


async def preflight(http, path: str, origin: str, method: str = "GET",
                    headers: str = "authorization") -> httpx.Response:
    return await http.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                             "Access-Control-Request-Headers": headers})


def allowed(r: httpx.Response) -> str | None:
    assert "access-control-allow-credentials" not in r.headers  # never credentialed CORS
    assert "origin" in r.headers.get("vary", "").lower()  # caches keep answers per Origin apart
    return r.headers.get(ACAO)


# --------------------------------------------------------------------------- what an origin is


@pytest.mark.parametrize(("raw", "origin"), [
    ("https://app.example.com", "https://app.example.com"),
    ("HTTPS://App.Example.COM", "https://app.example.com"),
    ("https://app.example.com:443", "https://app.example.com"),
    ("http://localhost:80", "http://localhost"),
    ("http://localhost:3000", "http://localhost:3000"),
    ("https://app.example.com:8443", "https://app.example.com:8443"),
    ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("https://[2001:DB8:0:0::1]", "https://[2001:db8::1]"),
    ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
])
def test_origins_are_normalised_as_browsers_send_them(raw, origin):
    assert parse_origin(raw) == origin


@pytest.mark.parametrize("raw", [
    "", "app.example.com", "//app.example.com", "ftp://app.example.com", "file:///etc/passwd", "null", "*",
    "https://*.example.com", "https://app.example.com/", "https://app.example.com/path", "https://a.example?x=1",
    "https://a.example#f", "https://user:pw@a.example", "https://user@a.example", "https://a.example:0",
    "https://a.example:65536", "https://a.example:", "https://a.example:12a", "https://bücher.example",
    "https://a b.example", "https://a.example\\", "https://-a.example", "https://a..example", "https://a_b.example",
    "https://300.1.1.1", "http://[::g]", "https://" + "a" * 300 + ".example", " https://a.example",
    "https://a.example\n", "https://a%2eexample",
])
def test_everything_but_an_origin_is_refused(raw):
    with pytest.raises(BadOrigin):
        parse_origin(raw)


def test_cors_origins_setting_is_checked_at_start(settings):
    assert parse_origin_list(" https://A.example ,, http://b.example:8080,https://a.example ") == (
        "https://a.example", "http://b.example:8080")
    assert parse_origin_list("") == ()
    with pytest.raises(ValueError, match="CORS_ORIGINS.*https://a.example/app"):
        create_app(settings.model_copy(update={"cors_origins": "https://ok.example,https://a.example/app"}))


# --------------------------------------------------------------------------- managing a tenant's origins


async def test_rest_get_and_put_origins(http, tenant):
    assert (await http.get("/api/cors/origins", headers=tenant.auth)).json() == {"origins": []}
    r = await set_origins(http, tenant, ["https://App.Example.com:443", "http://localhost:3000",
                                         "https://app.example.com"])
    assert r.status_code == 200, r.text
    assert r.json() == {"origins": ["http://localhost:3000", "https://app.example.com"]}
    assert (await http.get("/api/cors/origins", headers=tenant.auth)).json() == r.json()
    assert (await set_origins(http, tenant, [])).json() == {"origins": []}
    assert await CorsOrigin.filter(tenant_id=tenant.id).count() == 0


async def test_bad_input_is_a_422_and_changes_nothing(http, api, tenant):
    good = ["https://keep.example"]
    await set_origins(http, tenant, good)
    for body, field in [
        ({"origins": ["https://ok.example", "https://bad.example/path"]}, "origins.1"),
        ({"origins": ["https://ok.example", 7]}, "origins.1"),
        ({"origins": "https://ok.example"}, "origins"),
        ({}, "origins"),
        ({"origins": [f"https://o{i}.example" for i in range(21)]}, "origins"),
    ]:
        r = await http.put("/api/cors/origins", json=body, headers=tenant.auth)
        assert r.status_code == 422, body
        assert field in r.json()["errors"] and r.json()["message"]
    assert (await http.get("/api/cors/origins", headers=tenant.auth)).json() == {"origins": good}
    # Twenty distinct origins is the limit; duplicates count once.
    twenty = [f"https://o{i:02}.example" for i in range(20)]
    assert (await set_origins(http, tenant, twenty + twenty[:3])).json() == {"origins": twenty}


async def test_only_a_client_token_manages_origins(http, api, tenant):
    assert (await http.get("/api/cors/origins")).status_code == 401
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    assert (await http.get("/api/cors/origins", headers=bearer(udt))).status_code == 403
    r = await http.put("/api/cors/origins", json={"origins": [uniq("x")]}, headers=bearer(udt))
    assert r.status_code == 403 and await CorsOrigin.filter(tenant_id=tenant.id).count() == 0


async def test_graphql_twin(api, tenant, other_tenant):
    mine = uniq("gql")
    done = await api.gql("mutation($o: [String!]!) { setCorsOrigins(origins: $o) }",
                         {"o": [mine.upper(), "http://localhost:3000"]}, token=tenant.token)
    assert done["data"]["setCorsOrigins"] == sorted(["http://localhost:3000", mine])
    assert (await api.gql("{ corsOrigins }", token=tenant.token))["data"]["corsOrigins"] == done["data"]["setCorsOrigins"]
    assert (await api.gql("{ corsOrigins }", token=other_tenant.token))["data"]["corsOrigins"] == []

    bad = await api.gql("mutation { setCorsOrigins(origins: [\"https://ok.example\", \"https://x.example/p\"]) }",
                        token=tenant.token)
    assert gql_codes(bad) == ["VALIDATION_FAILED"] and "origins.1" in bad["errors"][0]["extensions"]["errors"]
    assert (await api.gql("{ corsOrigins }", token=tenant.token))["data"]["corsOrigins"] == done["data"]["setCorsOrigins"]
    user = await api.create_user(tenant)
    assert gql_codes(await api.gql("{ corsOrigins }", token=await api.udt(tenant, user["id"]))) == ["FORBIDDEN"]


# --------------------------------------------------------------------------- preflights


@pytest.mark.parametrize(("path", "method", "headers"), [
    ("/api/users", "GET", "authorization"),
    ("/api/users/00000000-0000-0000-0000-000000000000", "PATCH", "authorization, content-type, x-request-id"),
    ("/api/home", "GET", "x-tenant"),
    ("/graphql", "POST", "authorization, content-type, apollo-require-preflight"),
])
async def test_preflights(http, tenant, path, method, headers):
    mine = uniq("pre")
    await set_origins(http, tenant, [mine])
    for origin in (mine, OPS, "http://localhost:3000"):
        r = await preflight(http, path, origin, method, headers)
        assert r.status_code == 200, (origin, r.text)
        assert allowed(r) == origin
        assert method in r.headers["access-control-allow-methods"]
        sent = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type", "x-tenant", "x-request-id", "apollo-require-preflight"} <= sent
        assert int(r.headers["access-control-max-age"]) > 0

    for origin in (uniq("unknown"), mine + ":8443", mine.replace("https", "http"), "null"):
        r = await preflight(http, path, origin, method, headers)
        assert r.status_code == 400 and allowed(r) is None
        assert r.json() == {"message": "Disallowed CORS origin.", "code": "CORS_NOT_ALLOWED"}

    r = await preflight(http, path, mine, method, "authorization, x-secret-header")
    assert r.status_code == 400 and r.json()["code"] == "CORS_NOT_ALLOWED"


async def test_options_without_cors_is_still_a_405(http):
    assert (await http.options("/api/users")).status_code == 405
    assert (await http.options("/api/users", headers={"Origin": OPS})).status_code == 405


async def test_a_change_is_applied_at_once_in_this_process(http, tenant):
    origin = uniq("live")
    assert (await preflight(http, "/graphql", origin, "POST")).status_code == 400
    await set_origins(http, tenant, [origin])
    assert (await preflight(http, "/graphql", origin, "POST")).status_code == 200
    await set_origins(http, tenant, [])
    assert (await preflight(http, "/graphql", origin, "POST")).status_code == 400


async def test_no_database_query_per_request(http, tenant, monkeypatch):
    origin = uniq("cached")
    await set_origins(http, tenant, [origin])
    loads = 0
    real = origin_directory.load_rows

    async def counting() -> list[list[str]]:
        nonlocal loads
        loads += 1
        return await real()

    monkeypatch.setattr(origin_directory, "load_rows", counting)
    for _ in range(50):
        assert (await preflight(http, "/graphql", origin, "POST")).status_code == 200
        assert allowed(await http.get("/api/users", headers={"Origin": origin, **tenant.auth})) == origin
    assert loads <= 1


# --------------------------------------------------------------------------- actual requests


async def test_actual_requests_are_checked_against_the_callers_tenant(http, api, tenant, other_tenant):
    a, b = uniq("a"), uniq("b")
    await set_origins(http, tenant, [a])
    await set_origins(http, other_tenant, [b])
    user = await api.create_user(tenant)
    udt = await api.udt(tenant, user["id"])
    query = {"query": "{ me { email } }"}

    for origin in (a, OPS, "http://localhost:3000"):  # its own origin, and the operator's for everyone
        r = await http.get("/api/users", headers={"Origin": origin, **tenant.auth})
        assert r.status_code == 200 and allowed(r) == origin
        exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
        assert exposed == {"etag", "retry-after", "x-request-id"}
        g = await http.post("/graphql", json=query, headers={"Origin": origin, **bearer(udt)})
        assert g.json()["data"]["me"]["email"] == user["email"] and allowed(g) == origin

    # Tenant B's origin passes a preflight (B allows it) but gets nothing of tenant A's answers.
    for origin in (b, uniq("unknown")):
        r = await http.get("/api/users", headers={"Origin": origin, **tenant.auth})
        assert r.status_code == 200 and allowed(r) is None
        g = await http.post("/graphql", json=query, headers={"Origin": origin, **bearer(udt)})
        assert allowed(g) is None
    # ...nor with A's token sent to an endpoint that does not read it, nor with B named in X-Tenant.
    r = await http.get("/api/heartbeat", headers={"Origin": b, **tenant.auth, "X-Tenant": other_tenant.slug})
    assert allowed(r) is None
    # B's backend from B's origin is fine.
    assert allowed(await http.get("/api/users", headers={"Origin": b, **other_tenant.auth})) == b


async def test_guests_are_checked_against_x_tenant(http, tenant, other_tenant):
    a, b = uniq("a"), uniq("b")
    await set_origins(http, tenant, [a])
    await set_origins(http, other_tenant, [b])
    r = await http.get("/api/home", headers={"Origin": a, "X-Tenant": tenant.slug})
    assert r.status_code == 200 and allowed(r) == a and r.headers["etag"]
    assert allowed(await http.get("/api/home", headers={"Origin": b, "X-Tenant": tenant.slug})) is None
    # A tenant without origins of its own, or an unknown one, allows only CORS_ORIGINS.
    assert allowed(await http.get("/api/home", headers={"Origin": a, "X-Tenant": "no-such-tenant"})) is None
    assert allowed(await http.get("/api/home", headers={"Origin": OPS, "X-Tenant": "no-such-tenant"})) == OPS


async def test_requests_naming_no_tenant_pass_for_any_tenants_origin(http, tenant):
    a = uniq("a")
    await set_origins(http, tenant, [a])
    for request in (http.get("/api/heartbeat", headers={"Origin": a}),
                    http.post("/graphql", json={"query": "{ heartbeat }"}, headers={"Origin": a}),
                    http.get("/api/users", headers={"Origin": a, "Authorization": "Bearer not-a-token"})):
        r = await request
        assert allowed(r) == a, r.status_code  # a 401 the front-end can read, too
    assert allowed(await http.get("/api/heartbeat", headers={"Origin": uniq("unknown")})) is None


async def test_errors_and_limits_carry_cors_headers(app_with, tenant):
    http = app_with(cors_origins=OPS, max_body_bytes=100)
    r = await http.post("/api/users", content=b"x" * 200, headers={"Origin": OPS, **tenant.auth,
                                                                     "Content-Type": "application/json"})
    assert r.status_code == 413 and allowed(r) == OPS
    r = await http.get("/api/users/not-an-id", headers={"Origin": OPS, **tenant.auth})
    assert r.status_code == 404 and allowed(r) == OPS and r.headers["x-request-id"]


async def test_without_an_origin_nothing_changes(http, tenant):
    r = await http.get("/api/users", headers=tenant.auth)
    assert r.status_code == 200 and ACAO not in r.headers and "access-control-expose-headers" not in r.headers


# --------------------------------------------------------------------------- streaming with hls.js


async def subscriber(api, tenant) -> str:
    user = await api.create_user(tenant)
    await User.filter(id=user["id"]).update(status=UserStatus.SUBSCRIBED,
                                            subscription_ends_at=datetime.now(UTC) + timedelta(days=30))
    return await api.udt(tenant, user["id"])


async def test_manifest_and_segments_of_the_embedded_sandbox(app_with, api, tenant, other_tenant, streams):
    player, other = uniq("player"), uniq("other")
    # The embedded default: the streaming sandbox is mounted in the API and serves the segments.
    http = app_with(streaming_url="sandbox", streaming_signing_secret=STREAMING_SECRET)
    await set_origins(http, tenant, [player])
    await set_origins(http, other_tenant, [other])
    udt = await subscriber(api, tenant)
    path = f"/api/stream/{stream_id_for(2)}"

    assert allowed(await preflight(http, path, player)) == player  # hls.js xhrSetup adds Authorization
    r = await http.get(path, headers={"Origin": player, **bearer(udt)})
    assert r.status_code == 200 and allowed(r) == player
    assert allowed(await http.get(path, headers={"Origin": other, **bearer(udt)})) is None

    segment = m3u8.loads(r.text).segments[1].uri  # signed, absolute on the streaming server
    mounted = "/_sandbox/streaming/" + segment.split("/", 3)[3]  # the same signed path, on the mount
    for origin, expected in ((player, player), (other, other), (uniq("unknown"), None)):
        s = await http.get(mounted, headers={"Origin": origin})  # a simple GET: no preflight, no token
        assert s.status_code == 200 and s.headers["content-type"] == "video/mp2t"
        assert allowed(s) == expected


def test_standalone_streaming_sandbox_cors():
    server = start_server(create_streaming_sandbox(signing_secret=STREAMING_SECRET, cors_origins=("*",)))
    plain = start_server(create_streaming_sandbox(signing_secret=STREAMING_SECRET))  # as mounted: no CORS
    try:
        with httpx.Client() as client:
            headers = {"Origin": "https://player.example"}
            url = f"/streams/{stream_id_for(2)}/segments/0.ts"
            assert client.get(server.url + url, headers=headers).headers[ACAO] == "*"
            ok = client.options(server.url + url, headers={**headers, "Access-Control-Request-Method": "GET"})
            assert ok.status_code == 200
            assert ACAO not in client.get(plain.url + url, headers=headers).headers
    finally:
        server.stop()
        plain.stop()


# --------------------------------------------------------------------------- several workers, the CLI


def _redis_directory(namespace: str) -> OriginDirectory:
    backend = RedisCache(serializer=OrjsonSerializer(), namespace=namespace, endpoint="127.0.0.1", port=6379)
    return OriginDirectory(CacheStore(backend, 60, l1_ttl=0.0), recheck=0.0)


async def test_a_change_reaches_other_workers_through_redis(tenant):
    from yourmusic.services.cors import replace_tenant_origins

    namespace = f"ym-cors-{uuid.uuid4().hex[:8]}"
    here, there = _redis_directory(namespace), _redis_directory(namespace)
    origin = uniq("redis")
    try:
        assert origin not in (await there.snapshot()).anywhere  # "there" holds a snapshot without it
        await replace_tenant_origins(tenant.id, [origin], here)
        snap = await there.snapshot()
        assert snap.of_tenant(str(tenant.id)) == {origin} and snap.of_slug(tenant.slug) == {origin}
    finally:
        for d in (here, there):
            await d._cache.clear()
            await d._cache.close()


async def test_cli_sets_and_lists_and_tells_redis(settings, tenant, http):
    namespace = f"ym-cors-{uuid.uuid4().hex[:8]}"
    watcher = _redis_directory(namespace)
    origin = uniq("cli")
    env = {**os.environ, "DATABASE_URL": settings.database_url, "DATA_DIR": str(settings.data_dir),
           "REDIS_URL": "redis://127.0.0.1:6379/0", "CACHE_NAMESPACE": namespace}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "yourmusic.cli", "cors", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    try:
        await watcher.snapshot()
        done = cli("set", "--tenant", tenant.slug, origin.upper(), "http://localhost:3000")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"tenant": tenant.slug, "origins": sorted([origin, "http://localhost:3000"])}
        assert json.loads(cli("list", "--tenant", tenant.slug).stdout)["origins"] == sorted([origin, "http://localhost:3000"])
        assert (await watcher.snapshot()).of_tenant(str(tenant.id)) == {origin, "http://localhost:3000"}
        assert (await http.get("/api/cors/origins", headers=tenant.auth)).json()["origins"] == sorted(
            [origin, "http://localhost:3000"])

        bad = cli("set", "--tenant", tenant.slug, "https://x.example/path")
        assert bad.returncode == 2 and "origins.0" in bad.stderr
        assert cli("list", "--tenant", "no-such-tenant").returncode == 2
        assert json.loads(cli("set", "--tenant", tenant.slug).stdout)["origins"] == []
    finally:
        await watcher._cache.clear()
        await watcher._cache.close()
