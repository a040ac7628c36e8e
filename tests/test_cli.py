"""The operator's command line: tenants and clients made by `yourmusic`, usable over HTTP at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "DATA_DIR": str(settings.data_dir),
           "SIGNING_KEYS": settings.signing_keys or ""}
    return subprocess.run([sys.executable, "-m", "yourmusic.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.slow  # a subprocess
async def test_tenant_and_client_create(api, settings):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    made = _cli(settings, "tenant", "create", slug, "--name", "CLI Records")
    assert made.returncode == 0, made.stderr
    tenant = json.loads(made.stdout)
    assert tenant["slug"] == slug and tenant["name"] == "CLI Records"

    issued = _cli(settings, "client", "create", "--tenant", slug, "--name", "backend")
    assert issued.returncode == 0, issued.stderr
    creds = json.loads(issued.stdout)
    assert set(creds) == {"client_id", "client_secret"}
    assert creds["client_secret"] not in issued.stderr

    token = await api.client_token(creds["client_id"], creds["client_secret"])
    r = await api.http.get("/api/users", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["meta"]["total"] == 0


@pytest.mark.slow  # a subprocess
async def test_cli_errors(settings):
    dup = f"cli-{uuid.uuid4().hex[:8]}"
    assert _cli(settings, "tenant", "create", dup).returncode == 0
    again = _cli(settings, "tenant", "create", dup)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = _cli(settings, "tenant", "create", "Bad Slug!")
    assert bad.returncode == 2
    missing = _cli(settings, "client", "create", "--tenant", "no-such-tenant")
    assert missing.returncode == 2 and "No tenant" in missing.stderr
