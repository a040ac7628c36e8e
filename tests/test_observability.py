"""Operations: request ids, the JSON access log (never a secret in it), /metrics, /healthz and /readyz,
and graceful shutdown (in-flight requests finish; pending mail is delivered before the process ends)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.api import bearer
from tests.mailbox import free_port
from tests.servers import start_process, start_server
from yourmusic.integrations.aggregator.sandbox import create_app as create_sandbox
from yourmusic.observability.logging import JsonFormatter, request_id_var, uvicorn_log_config
from yourmusic.observability.metrics import operation_label

TRACK_QUERY = 'query TrackTitle { track(id: "1") { title release { title artist { name } } } }'


# --------------------------------------------------------------------------- request id


async def test_request_id_is_echoed_when_sane(http):
    r = await http.get("/healthz", headers={"X-Request-Id": "edge-42.a_b"})
    assert r.headers["x-request-id"] == "edge-42.a_b"


@pytest.mark.parametrize("bad", ["x" * 129, "has space", "quote\"d", "semi;colon", ""])
async def test_insane_request_id_is_replaced(http, bad):
    r = await http.get("/healthz", headers={"X-Request-Id": bad})
    rid = r.headers["x-request-id"]
    assert rid != bad and len(rid) == 32 and int(rid, 16) >= 0


async def test_request_id_is_generated_and_on_errors_too(http):
    first = (await http.get("/api/nothing-here")).headers["x-request-id"]
    second = (await http.get("/api/users")).headers["x-request-id"]  # 401
    assert len(first) == 32 and len(second) == 32 and first != second


# --------------------------------------------------------------------------- access log


def _access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "yourmusic.access"]


async def test_access_line_has_route_status_tenant_principal_and_no_secret(http, tenant, caplog):
    caplog.set_level(logging.INFO, logger="yourmusic.access")
    rid = f"t-{uuid.uuid4().hex}"
    r = await http.get("/api/users?access_token=SECRETQUERY&code=123456", headers={**tenant.auth, "X-Request-Id": rid})
    assert r.status_code == 200
    line = [rec for rec in _access_lines(caplog) if getattr(rec, "path", None) == "/api/users"][-1]
    assert line.route == "/api/users" and line.method == "GET" and line.status == 200
    assert line.tenant == str(tenant.id) and line.principal == "client"
    assert line.duration_ms >= 0
    out = JsonFormatter().format(line)
    body = json.loads(out)
    assert body["request_id"] == rid and body["logger"] == "yourmusic.access"
    assert body["route"] == "/api/users" and body["status"] == 200 and body["principal"] == "client"
    # Never the token, the query string or its values.
    assert tenant.token not in caplog.text and "SECRETQUERY" not in caplog.text and "123456" not in out


async def test_access_line_route_is_the_template(http, tenant, caplog):
    caplog.set_level(logging.INFO, logger="yourmusic.access")
    r = await http.get(f"/api/users/{uuid.uuid4()}", headers=tenant.auth)
    assert r.status_code == 404
    line = _access_lines(caplog)[-1]
    assert line.route == "/api/users/{user_id}"
    assert line.status == 404


async def test_access_line_marks_a_bad_token(http, caplog):
    caplog.set_level(logging.INFO, logger="yourmusic.access")
    r = await http.get("/api/users", headers=bearer("not-a-token"))
    assert r.status_code == 401
    line = _access_lines(caplog)[-1]
    assert line.principal == "invalid" and line.tenant is None
    assert "not-a-token" not in caplog.text


def test_json_formatter_redacts_secret_looking_extras_and_keeps_exceptions():
    record = logging.makeLogRecord({"name": "x", "levelno": 40, "levelname": "ERROR", "msg": "boom %s",
                                    "args": ("here",), "refresh_token": "rt-secret", "client_secret": "s3",
                                    "tenant": "t1"})
    try:
        raise ValueError("kaput")
    except ValueError:
        record.exc_info = sys.exc_info()
    token = request_id_var.set("rid-1")
    try:
        body = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert body["msg"] == "boom here" and body["level"] == "error" and body["request_id"] == "rid-1"
    assert body["refresh_token"] == "[redacted]" and body["client_secret"] == "[redacted]"
    assert body["tenant"] == "t1" and "ValueError: kaput" in body["exc"]


def test_uvicorn_log_config_is_valid_and_silences_uvicorn_access():
    import logging.config

    config = uvicorn_log_config("json", "info")
    logging.config.dictConfig({**config, "root": {"level": "INFO"}})  # validates it (handlers kept as they are)
    assert config["loggers"]["uvicorn.access"]["propagate"] is False


# --------------------------------------------------------------------------- metrics


async def test_metrics_cover_routes_graphql_upstream_cache_loaders_breaker(http, api, tenant):
    assert (await http.get("/api/users", headers=tenant.auth)).status_code == 200
    result = await api.gql(TRACK_QUERY, token=tenant.token)
    assert result["data"]["track"]["title"]
    await api.gql(TRACK_QUERY, token=tenant.token)  # cache hits now
    r = await http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'yourmusic_http_requests_total{method="GET",route="/api/users",status="200"}' in text
    assert 'yourmusic_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/users"}' in text
    assert 'yourmusic_graphql_operations_total{operation="TrackTitle",outcome="ok",type="query"}' in text
    assert 'yourmusic_graphql_operation_duration_seconds_count{operation="TrackTitle"}' in text
    assert 'yourmusic_upstream_requests_total{integration="aggregator",outcome="ok"}' in text
    assert 'yourmusic_upstream_request_duration_seconds_count{integration="aggregator"}' in text
    assert 'yourmusic_cache_requests_total{result="hit"}' in text
    assert 'yourmusic_cache_requests_total{result="miss"}' in text
    assert 'yourmusic_dataloader_batch_size_count{loader="track_by_id"}' in text
    assert 'yourmusic_circuit_breaker_state{integration="aggregator"}' in text
    openapi = (await http.get("/openapi.json")).json()
    assert not any(p in openapi["paths"] for p in ("/metrics", "/healthz", "/readyz"))


async def test_unmatched_paths_do_not_make_new_series(http):
    for _ in range(3):
        await http.get(f"/no/such/{uuid.uuid4().hex}")
    text = (await http.get("/metrics")).text
    assert 'route="unmatched"' in text and "/no/such/" not in text


def test_operation_names_are_bounded():
    assert operation_label(None) == "anonymous"
    assert operation_label("Home") == "Home"
    assert operation_label("x" * 65) == "_other"
    assert operation_label("bad-name") == "_other"


async def test_breaker_state_gauge_follows_the_breaker():
    from prometheus_client import REGISTRY

    from yourmusic.integrations.aggregator.breaker import CircuitBreaker

    now = [0.0]
    breaker = CircuitBreaker(2, 10, clock=lambda: now[0], name="gauge-test")

    def value() -> float | None:
        return REGISTRY.get_sample_value("yourmusic_circuit_breaker_state", {"integration": "gauge-test"})

    breaker.record_failure()
    breaker.record_failure()
    assert value() == 2 and breaker.admit() is None
    now[0] = 11
    assert breaker.admit() is not None and value() == 1  # half-open: one trial call
    breaker.record_success()
    assert value() == 0


# --------------------------------------------------------------------------- probes


async def test_healthz_and_readyz(http):
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    r = await http.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


async def test_readyz_is_503_when_the_cache_is_unreachable(http, use_container):
    use_container(redis_url="redis://127.0.0.1:1/0")
    r = await http.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unready" and body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] != "ok"


# --------------------------------------------------------------------------- graceful shutdown


async def test_close_delivers_pending_mail(api, tenant, use_container, mailbox):
    container = use_container()
    email = f"drain-{uuid.uuid4().hex[:8]}@example.com"
    mailbox.hold()
    try:
        r = await api.http.post("/api/auth/otp/request", json={"tenant": tenant.slug, "email": email})
        assert r.status_code == 200  # answered while the relay holds the mail
        assert container.mail.pending == 1 and not mailbox.to(email)
        closing = asyncio.create_task(container.close())
        await asyncio.sleep(0.3)
        assert not closing.done()  # shutdown waits for the send
        mailbox.release()
        await asyncio.wait_for(closing, 10)
    finally:
        mailbox.release()
    assert len(mailbox.to(email)) == 1


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    return start_process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], port, log, env=env)


def _cli(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "yourmusic.cli", *args], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite", reason="one database is enough")
@pytest.mark.slow  # a subprocess
def test_sigterm_lets_in_flight_requests_finish_and_logs_json(tmp_path):
    sandbox = start_server(create_sandbox(consumer_key="k"))
    try:
        port = free_port()
        env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
               "SEED_DEMO": "false", "AGGREGATOR_URL": f"{sandbox.url}/1.2", "AGGREGATOR_KEY": "k",
               "AGGREGATOR_TIMEOUT": "10", "LOG_FORMAT": "json"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        _cli(env, "tenant", "create", "graceful")
        creds = _cli(env, "client", "create", "--tenant", "graceful")
        log = tmp_path / "serve.log"
        proc = _serve(env, port, log)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/api/oauth/token", json={"grant_type": "client_credentials", **creds}).json()
        httpx.post(f"{sandbox.url}/_sandbox/faults", json={"latency": 1.5}).raise_for_status()
        result: dict = {}

        def slow() -> None:
            r = httpx.get(f"{base}/api/tracks/2", timeout=10,
                          headers={**bearer(token["access_token"]), "X-Request-Id": "graceful-1"})
            result["status"] = r.status_code

        import threading

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)  # the request is in flight, waiting on the slow upstream
        proc.send_signal(signal.SIGTERM)
        thread.join(15)
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        assert result.get("status") == 200
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        access = [x for x in lines if x.get("logger") == "yourmusic.access" and x.get("request_id") == "graceful-1"]
        assert access and access[0]["route"] == "/api/tracks/{track_id}" and access[0]["status"] == 200
        assert access[0]["principal"] == "client"
        assert token["access_token"] not in log.read_text()
        assert not any(x.get("logger") == "uvicorn.access" for x in lines)
    finally:
        sandbox.stop()
