"""The README's "Five-minute tour" runs as written: every command of its ```sh block, in one bash, against a
server it starts itself (`./dev serve`) on a free port with a throwaway database and DATA_DIR."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite",
                                reason="the tour runs on the embedded default (SQLite); one run is enough")]

# Settings a developer's shell would not have: the tour runs on the embedded defaults.
_NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "AGGREGATOR_URL", "STREAMING_URL", "STRIPE_API_BASE", "SELF_URL",
                  "SEED_DEMO", "SIGNING_KEYS", "DATA_DIR", "SMTP_URL"}


def tour_blocks(readme: str) -> list[str]:
    """The ```sh blocks under the "## Five-minute tour" heading (up to the next "## ")."""
    section = re.search(r"^## Five-minute tour\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Five-minute tour' section"
    blocks = re.findall(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)
    assert blocks, "the tour has no ```sh block"
    return blocks


def test_readme_tour_runs(tmp_path):
    if shutil.which("jq") is None or shutil.which("curl") is None:
        pytest.fail("the tour needs curl and jq (apt-get install curl jq)")
    port = free_port()
    script = "\n".join(tour_blocks((ROOT / "README.md").read_text(encoding="utf-8")))
    assert "./dev serve &" in script and "localhost:8000" in script
    script = (script.replace("./dev serve &", f"./dev serve --port {port} &")
              .replace("localhost:8000", f"localhost:{port}").replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(DATA_DIR=str(tmp_path / "data"), DATABASE_URL=f"sqlite://{tmp_path / 'tour.sqlite3'}")
    # -e: the first failing command fails the tour; the server (a job of this shell) dies with its group.
    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail("the tour did not finish in 180 s:\n" + output[-3000:])
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the background server
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, f"a tour command failed (exit {proc.returncode}):\n{output[-4000:]}"

    lines = [line for line in output.splitlines() if not line.startswith('{"ts"')]  # the server's log lines
    text = "\n".join(lines)
    decode = lambda line: json.JSONDecoder().raw_decode(line)[0]  # noqa: E731
    assert re.search(r'^\{"time":"\d{4}-\d\d-\d\dT', text, re.M), text[-3000:]  # heartbeat
    me = next(decode(line) for line in lines if line.startswith('{"data":{"me"'))
    assert me["data"]["me"] == {"firstName": "Ada", "email": "ada@example.com", "status": "UNSUBSCRIBED"}
    track = next(decode(line) for line in lines if line.startswith('{"title"'))
    assert track["title"] and track["artist"]["name"]
    assert "<title>YourMusic GraphiQL</title>" in text
    udt = re.search(r"^UDT for GraphiQL: (\S+)$", text, re.M)
    assert udt and udt.group(1).count(".") == 2  # a JWT
