"""A Python client generated from the committed openapi.json works (issue 18, item 2): openapi-python-client
generates it without a warning, every module imports, and five operations called through it against a real
`yourmusic serve` (the embedded default) answer typed models: a client token, a user, a catalog search, a
track with its streamId, the home page with its catalog items."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.servers import free_port, start_process, stop_process

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "ymclient"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite",
                                reason="the embedded default is SQLite; one run is enough")]

_DROP = {"DATABASE_URL", "REDIS_URL", "AGGREGATOR_URL", "STREAMING_URL", "SELF_URL", "STRIPE_API_BASE",
         "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "SEED_DEMO"}


def _generator() -> str:
    found = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent)) or \
        shutil.which("openapi-python-client")
    assert found, "openapi-python-client is not installed (the `test` extra has it)"
    return found


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    """The generated package, imported; its generator output checked for warnings."""
    out = tmp_path_factory.mktemp("generated")
    run = subprocess.run([_generator(), "generate", "--path", str(ROOT / "openapi.json"), "--meta", "none",
                          "--output-path", str(out / PACKAGE), "--config",
                          str(ROOT / "scripts" / "openapi-python-client.yaml")],
                         capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert not re.search(r"warning|error|cannot|skipping", output, re.I), f"generator output:\n{output}"
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_every_generated_module_imports(client_package):
    modules = list(pkgutil.walk_packages(client_package.__path__, PACKAGE + "."))
    failed = {}
    for info in modules:
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            failed[info.name] = repr(exc)
    assert not failed, failed
    operations = [m.name for m in modules if m.name.startswith(f"{PACKAGE}.api.") and not m.ispkg]
    spec = json.loads((ROOT / "openapi.json").read_text())
    assert len(operations) == sum(len(ops) for ops in spec["paths"].values())  # one module per operation


def _serve(tmp_path: Path, port: int):
    env = {k: v for k, v in os.environ.items() if k.upper() not in _DROP}
    env["PYTHONPATH"] = str(ROOT)
    return start_process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], port,
                         tmp_path / "serve.log", cwd=tmp_path, env=env)


def _demo_client(log: Path) -> dict[str, str]:
    """The demo tenant's client, printed once by the first `serve`."""
    deadline = time.monotonic() + 10
    while "client_secret" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return json.loads(re.search(r"\{[^{}]*\"client_secret\"[^{}]*\}", log.read_text(), re.S).group(0))


def test_five_operations_through_the_generated_client(client_package, tmp_path):
    m = importlib.import_module(f"{PACKAGE}.models")
    api = lambda path: importlib.import_module(f"{PACKAGE}.api.{path}")  # noqa: E731
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(tmp_path, port)
    try:
        creds = _demo_client(tmp_path / "serve.log")
        anonymous = client_package.Client(base_url=base)

        # 1. A client token (the JSON body; the form body is the other type of the union).
        token = api("authentication.issue_client_token").sync(client=anonymous, body=m.TokenRequest(
            grant_type=m.TokenRequestGrantType.CLIENT_CREDENTIALS, client_id=creds["client_id"],
            client_secret=creds["client_secret"]))
        assert isinstance(token, m.ClientTokenOut) and token.token_type == "Bearer", token
        tenant = client_package.AuthenticatedClient(base_url=base, token=token.access_token)

        # 2. A user.
        email = f"gen-{uuid.uuid4().hex[:8]}@example.com"
        user = api("users.create_user").sync(client=tenant, body=m.UserCreate(
            first_name="Ada", last_name="Lovelace", email=email, date_of_birth=datetime.date(1990, 12, 10)))
        assert isinstance(user, m.UserOut) and user.email == email and user.status == m.UserOutStatus.UNSUBSCRIBED

        # 3. A catalog search: typed tracks, the aggregator's other fields kept aside.
        found = api("tracks.search_tracks").sync(client=tenant, q="rock", page_size=50)
        assert isinstance(found, m.SearchTracksResponse200) and found.results, found
        assert all(isinstance(t, m.CatalogTrack) and t.title for t in found.results)
        assert "download" in found.results[0].additional_properties  # open: nothing of the aggregator's lost
        streamable = next(t for t in found.results if "stream" in (t.usage_types or []))

        # 4. A track's details with its streamId.
        detail = api("tracks.get_track").sync(client=tenant, track_id=str(streamable.id))
        assert isinstance(detail, m.GetTrackResponse200) and isinstance(detail.track, m.CatalogTrack), detail
        assert detail.track.id == streamable.id and isinstance(detail.track.stream_id, uuid.UUID)
        assert isinstance(detail.track.artist, m.CatalogArtist) and isinstance(detail.track.release, m.CatalogRelease)

        # 5. The home page, its catalog items typed (the tenant sets one first).
        ids = [str(t.id) for t in found.results[:3]]
        page = m.HomePageInput.from_dict({"title": "Home", "modules": [
            {"type": "track_list", "title": "Rock", "track_ids": ids}]})
        assert isinstance(api("home.set_home_page").sync(client=tenant, body=page), m.SetHomePageResponse200)
        home = api("home.get_home").sync(client=tenant)
        assert isinstance(home, m.GetHomeResponse200), home
        (module,) = home.modules
        assert module.type_ == m.GetHomeResponse200ModulesItemType.TRACK_LIST
        assert [str(t.id) for t in module.items] == ids
        assert all(isinstance(t, m.CatalogTrack) for t in module.items)
    finally:
        stop_process(proc)
