"""The embedded default subscribes a demo user from a "browser": `yourmusic serve` mounts the Stripe
sandbox at /_sandbox/stripe, its checkout page's Pay posts signed webhooks back to the server itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, start_process

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite",
                                reason="the embedded default is SQLite; one run is enough")]

_DROP = {"DATABASE_URL", "REDIS_URL", "AGGREGATOR_URL", "SELF_URL", "STRIPE_API_BASE", "STRIPE_API_KEY",
         "STRIPE_WEBHOOK_SECRET", "SEED_DEMO"}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in _DROP}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _start(tmp_path: Path, port: int) -> subprocess.Popen:
    return start_process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], port,
                         tmp_path / "serve.log", cwd=tmp_path, env=_env())


def test_embedded_checkout_from_a_browser(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port)
    try:
        deadline = time.monotonic() + 10
        while "client_secret" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        output = (tmp_path / "serve.log").read_text()
        creds = json.loads(re.search(r"\{[^{}]*\"client_secret\"[^{}]*\}", output, re.S).group(0))
        token = httpx.post(f"{base}/api/oauth/token", json={"grant_type": "client_credentials",
                           "client_id": creds["client_id"], "client_secret": creds["client_secret"]}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        products = httpx.get(f"{base}/api/products", headers=auth).json()
        assert [p["slug"] for p in products] == ["premium"]  # seeded with the demo tenant
        user = httpx.post(f"{base}/api/users", headers=auth, json={
            "first_name": "Demo", "last_name": "User", "email": f"demo-{uuid.uuid4().hex[:6]}@example.com",
            "date_of_birth": "1990-01-01"}).json()
        udt = httpx.post(f"{base}/api/users/{user['id']}/udt", headers=auth,
                         json={"deviceId": str(uuid.uuid4())}).json()["token"]
        me_auth = {"Authorization": f"Bearer {udt}"}

        r = httpx.post(f"{base}/api/checkout/sessions", headers=me_auth, json={"product_slug": "premium"})
        assert r.status_code == 201, r.text
        url = r.json()["url"]
        assert url.startswith(f"{base}/_sandbox/stripe/checkout/cs_")
        page = httpx.get(url)
        assert page.status_code == 200
        action = re.search(r'<form method="post" action="([^"]+/pay)"', page.text).group(1)
        paid = httpx.post(base + action, data={"card": "visa"}, timeout=30)
        assert paid.status_code == 303
        assert paid.headers["location"] == f"{base}/_sandbox/stripe/return/success"
        assert "Checkout complete" in httpx.get(paid.headers["location"]).text

        me = httpx.get(f"{base}/api/me", headers=me_auth).json()
        assert (me["status"], me["pm_type"], me["pm_last_four"]) == ("SUBSCRIBED", "visa", "4242"), me
        assert me["subscription_ends_at"]
        r = httpx.post(f"{base}/api/checkout/sessions", headers=me_auth, json={"product_slug": "premium"})
        assert r.status_code == 409 and r.json()["code"] == "ALREADY_SUBSCRIBED"

        # The operator's command adds a product, usable at once.
        made = subprocess.run([sys.executable, "-m", "yourmusic.cli", "product", "create", "--tenant", "demo",
                               "--slug", "family", "--name", "Family", "--price", "price_demo_family"],
                              cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        product = json.loads(made.stdout)
        assert (product["slug"], product["stripe_price_id"], product["active"]) == ("family", "price_demo_family", True)
        assert httpx.get(f"{base}/api/products/family", headers=auth).json()["id"] == product["id"]
        bad = subprocess.run([sys.executable, "-m", "yourmusic.cli", "product", "create", "--tenant", "demo",
                              "--slug", "family", "--name", "Again", "--price", "price_x"],
                             cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and "already been taken" in bad.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)
