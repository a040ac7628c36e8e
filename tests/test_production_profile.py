"""PROFILE=production never runs on public sandbox values (issue 15 class 7): each secret left at its
sandbox default and each upstream left at `sandbox` refuses the start, naming the settings to set; the
embedded sandboxes (with their control and listing endpoints) exist only outside production.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.routing import Mount

from yourmusic.app import create_app
from yourmusic.settings import SANDBOX_SECRETS, SANDBOX_UPSTREAMS, ConfigurationError, Settings

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_NAMES = sorted(n.upper() for n in (*SANDBOX_SECRETS, *SANDBOX_UPSTREAMS))
REAL = {
    "aggregator_url": "https://api.aggregator.example/1.2", "aggregator_key": "live-key",
    "aggregator_secret": "live-secret", "streaming_url": "https://streaming.example",
    "streaming_key": "live-streaming-key", "streaming_signing_secret": "live-signing-secret",
    "stripe_api_base": "https://api.stripe.com", "stripe_api_key": "sk_live_x", "stripe_webhook_secret": "whsec_live",
}
PRODUCTION = {"profile": "production", "graphql_persisted_queries": "apq", **REAL}


def test_every_sandbox_setting_is_checked():
    assert set(REAL) == {n.lower() for n in SANDBOX_NAMES}
    assert Settings(**PRODUCTION).sandbox_settings() == []
    assert Settings(profile="production").sandbox_settings() == SANDBOX_NAMES


@pytest.mark.parametrize("name", SANDBOX_NAMES)
def test_production_refuses_one_sandbox_setting(name):
    field = name.lower()
    left = {k: v for k, v in PRODUCTION.items() if k != field}
    if field in (n for n in SANDBOX_UPSTREAMS):
        left[field] = " Sandbox "  # however it is spelled
    with pytest.raises(ConfigurationError) as refused:
        create_app(Settings(**left))
    assert refused.value.names == [name]
    assert name in str(refused.value)


def test_production_with_real_settings_mounts_no_sandbox():
    app = create_app(Settings(**PRODUCTION))
    assert not [r for r in app.routes if isinstance(r, Mount) and r.path.startswith("/_sandbox")]


def test_other_profiles_keep_the_embedded_sandboxes():
    app = create_app(Settings(graphql_persisted_queries="apq"))
    mounts = {r.path for r in app.routes if isinstance(r, Mount)}
    assert {"/_sandbox/aggregator", "/_sandbox/streaming", "/_sandbox/stripe"} <= mounts


def test_serve_refuses_production_on_defaults_and_prints_the_names(tmp_path):
    env = {k: v for k, v in os.environ.items() if k.upper() not in {*SANDBOX_NAMES, "DATABASE_URL", "REDIS_URL"}}
    env.update(PYTHONPATH=str(ROOT), PROFILE="production", DATA_DIR=str(tmp_path), SEED_DEMO="false",
               STRIPE_API_KEY="sk_live_x", DATABASE_URL=f"sqlite://{tmp_path / 'prod.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "yourmusic.cli", "serve", "--port", "1"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    names = [n for n in SANDBOX_NAMES if n != "STRIPE_API_KEY"]
    assert done.stderr.strip().endswith("set " + ", ".join(names)), done.stderr
    assert "Traceback" not in done.stderr and "STRIPE_API_KEY" not in done.stderr
    assert not (tmp_path / "prod.sqlite3").exists()  # nothing migrated or seeded
