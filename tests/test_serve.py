"""The README's first command: `yourmusic serve` on the embedded default, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, start_process

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite",
                                reason="the embedded default is SQLite; one run is enough")]


def _start(tmp_path: Path, port: int, log: str, **extra_env: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "AGGREGATOR_URL", "SELF_URL", "TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"}}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra_env)
    return start_process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], port,
                         tmp_path / log, cwd=tmp_path, env=env)


def _stop(proc: subprocess.Popen, tmp_path: Path, log: str) -> str:
    proc.terminate()
    proc.wait(timeout=20)
    return (tmp_path / log).read_text()


def test_serve_embedded_default(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port, "first.log")
    try:
        output = _stop(proc, tmp_path, "first.log")
        creds = json.loads(re.search(r"\{[^{}]*\"client_secret\"[^{}]*\}", output, re.S).group(0))
        assert creds["tenant"] == "demo"
        assert (tmp_path / "var" / "yourmusic.sqlite3").exists()

        # Second start: the demo tenant exists, nothing is printed again; the catalog works end to end.
        proc = _start(tmp_path, port, "second.log")
        token = httpx.post(f"{base}/api/oauth/token", json={"grant_type": "client_credentials",
                           "client_id": creds["client_id"], "client_secret": creds["client_secret"]}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        assert httpx.get(f"{base}/api/aggregator/status").json() == {"status": "up"}
        track = httpx.get(f"{base}/api/tracks/1", headers=auth).json()["track"]
        assert track["title"].startswith("For Those About To Rock")
        home = httpx.get(f"{base}/api/home", headers={"X-Tenant": "demo"})
        assert home.status_code == 200 and len(home.json()["modules"]) == 6  # the seeded demo page, as a guest
        image = httpx.get(track["release"]["image"])
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg")
        second = _stop(proc, tmp_path, "second.log")
        assert "client_secret" not in second
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("trusted,second_status", [("", 429), ("127.0.0.1", 200)])
def test_serve_believes_forwarded_for_only_from_trusted_proxies(tmp_path, trusted, second_status):
    """A real `serve` (uvicorn over TCP, peer 127.0.0.1): uvicorn's own default would trust localhost's
    X-Forwarded-For; only TRUSTED_PROXIES counts. Two clients forwarded by the peer, one OTP request each,
    a limit of one request per client IP: the same budget unless the peer is trusted."""
    port = free_port()
    proc = _start(tmp_path, port, "xff.log", OTP_IP_LIMIT="1", TRUSTED_PROXIES=trusted, SEED_DEMO="false")
    try:
        statuses = [
            httpx.post(f"http://127.0.0.1:{port}/api/auth/otp/request", json={"tenant": "demo", "email": f"{n}@example.com"},
                       headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in (1, 2)
        ]
    finally:
        _stop(proc, tmp_path, "xff.log")
    assert statuses == [200, second_status]
