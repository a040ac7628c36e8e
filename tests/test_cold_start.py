"""Cold start (issue 17.9): heavy SDKs are imported on first use, not when the app is built."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The Stripe SDK (about 0.3 s with httpx and requests), PyAV (the sandbox's encoder), the SMTP client, and
# aiohttp (about 0.07 s: the upstream clients make their session on the first call).
ON_FIRST_USE = ("stripe", "av", "aiosmtplib", "aiohttp")

PROBE = (
    "import sys\n"
    "from yourmusic.app import create_app\n"
    "from yourmusic.settings import Settings\n"
    "create_app(Settings())\n"
    f"print(','.join(m for m in {ON_FIRST_USE!r} if m in sys.modules))\n"
)


@pytest.mark.slow  # a subprocess
def test_building_the_app_imports_no_sdk_meant_for_first_use(tmp_path: Path) -> None:
    """The embedded defaults mount the Stripe and streaming sandboxes: still neither SDK is imported."""
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
           "SEED_DEMO": "false", "STRIPE_API_BASE": "sandbox", "STREAMING_URL": "sandbox"}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"imported at start: {out.stdout.strip()}"


def test_the_openapi_document_and_the_sandbox_catalog_are_built_on_first_use(settings) -> None:
    """The document's pydantic JSON schemas (about 0.2 s) and the embedded sandboxes' catalog (about
    0.25 s): built by the first request that needs them, not by create_app."""
    from yourmusic.app import create_app, openapi_document
    from yourmusic.integrations.aggregator.sandbox.catalog import get_catalog

    openapi_document.cache_clear()
    get_catalog.cache_clear()
    create_app(settings.model_copy(update={"aggregator_url": "sandbox", "streaming_url": "sandbox"}))
    assert openapi_document.cache_info().currsize == 0
    assert get_catalog.cache_info().currsize == 0
    assert openapi_document()["info"]["title"] == "YourMusic API"
    assert openapi_document() is openapi_document()
