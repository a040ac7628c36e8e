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


def _json(done: subprocess.CompletedProcess):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow  # subprocesses
async def test_list_and_revoke_tenants_clients_products(api, settings):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    _json(_cli(settings, "tenant", "create", slug))
    creds = _json(_cli(settings, "client", "create", "--tenant", slug, "--name", "backend"))
    token = await api.client_token(creds["client_id"], creds["client_secret"])
    assert (await api.http.get("/api/users", headers={"Authorization": f"Bearer {token}"})).status_code == 200

    clients = _json(_cli(settings, "client", "list", "--tenant", slug))
    assert [(c["client_id"], c["name"], c["revoked_at"]) for c in clients] == [(creds["client_id"], "backend", None)]
    assert "client_secret" not in json.dumps(clients) and creds["client_secret"] not in json.dumps(clients)
    revoked = _cli(settings, "client", "revoke", creds["client_id"])
    assert _json(revoked)["revoked_at"] and "SESSION_REVOCATION_CACHE_TTL" in revoked.stderr  # no Redis here
    assert _json(_cli(settings, "client", "list", "--tenant", slug))[0]["revoked_at"]
    r = await api.http.post("/api/oauth/token", json={"grant_type": "client_credentials", **creds})
    assert r.status_code == 401  # no new token for a revoked client (existing ones: tests/test_revocation.py)

    _json(_cli(settings, "product", "create", "--tenant", slug, "--slug", "gold", "--name", "Gold",
               "--price", "price_gold"))
    assert [p["active"] for p in _json(_cli(settings, "product", "list", "--tenant", slug))] == [True]
    assert _json(_cli(settings, "product", "revoke", "--tenant", slug, "--slug", "gold"))["active"] is False
    assert [p["active"] for p in _json(_cli(settings, "product", "list", "--tenant", slug))] == [False]

    assert slug in {t["slug"] for t in _json(_cli(settings, "tenant", "list"))}
    assert _json(_cli(settings, "tenant", "revoke", slug))["revoked_at"]
    assert next(t for t in _json(_cli(settings, "tenant", "list")) if t["slug"] == slug)["revoked_at"]
    missing = _cli(settings, "client", "revoke", "ym_no_such_client")
    assert missing.returncode == 2 and "No client" in missing.stderr


@pytest.mark.slow  # subprocesses
async def test_user_token_prints_a_working_udt(api, settings, tenant):
    user = await api.create_user(tenant, email=f"ada-{uuid.uuid4().hex[:6]}@example.com")
    by_email = _json(_cli(settings, "user", "token", "--tenant", tenant.slug, "--email", user["email"].upper()))
    by_id = _json(_cli(settings, "user", "token", "--tenant", tenant.slug, "--user", user["id"]))
    for issued in (by_email, by_id):
        assert issued["user_id"] == user["id"] and issued["expires_in"] == settings.udt_ttl
        r = await api.http.post("/graphql", json={"query": "{ me { email } }"},
                                headers={"Authorization": f"Bearer {issued['token']}"})
        assert r.json()["data"]["me"]["email"] == user["email"]
    nobody = _cli(settings, "user", "token", "--tenant", tenant.slug, "--email", "nobody@example.com")
    assert nobody.returncode == 2 and "No user" in nobody.stderr
    bad_device = _cli(settings, "user", "token", "--tenant", tenant.slug, "--user", user["id"], "--device", "x")
    assert bad_device.returncode == 2 and "--device must look like a UUID" in bad_device.stderr


@pytest.mark.slow  # subprocesses
async def test_errors_name_the_flag_and_stderr_stays_clean(settings, tenant):
    bad = _cli(settings, "product", "create", "--tenant", tenant.slug, "--slug", "x", "--name", "X", "--price", "eur9")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: --price must look like price_..."), bad.stderr
    slug = _cli(settings, "tenant", "create", "Bad Slug!")
    assert slug.returncode == 2 and slug.stderr.startswith("error: SLUG:"), slug.stderr
    ok = _cli(settings, "tenant", "list")
    assert ok.returncode == 0 and "Tortoise" not in ok.stderr and ok.stderr == ""


@pytest.mark.slow  # subprocesses
def test_another_directory_creates_no_empty_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_DIR", "SIGNING_KEYS")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root
    for args in (["tenant", "list"], ["client", "create", "--tenant", "demo"],
                 ["user", "token", "--tenant", "demo", "--email", "a@example.com"]):
        done = subprocess.run([sys.executable, "-m", "yourmusic.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert (f"no database at {tmp_path}/var/yourmusic.sqlite3" in done.stderr
                or f"no signing keys at {tmp_path}/var/signing-keys.json" in done.stderr), done.stderr
    assert not (tmp_path / "var" / "yourmusic.sqlite3").exists() and not (tmp_path / "var").exists()


@pytest.mark.slow  # a subprocess
def test_serve_help_shows_defaults():
    done = subprocess.run([sys.executable, "-m", "yourmusic.cli", "serve", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for default in ("(default: 127.0.0.1)", "(default: 8000)", "(default: 1)"):
        assert default in text, text
