"""A local run a person can read (issue 18 items 3 and 4): `serve` in a terminal prints the developer pages'
URLs and writes text logs (JSON when stderr is not a terminal, unless LOG_FORMAT says otherwise), and the
sign-in code of the embedded default is on the outbox page."""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port
from yourmusic.observability.logging import JsonFormatter, TextFormatter, resolve_format

ROOT = Path(__file__).resolve().parents[1]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_format_follows_the_terminal_and_the_setting_wins():
    assert resolve_format("auto", _Tty()) == "text"
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format(None, io.StringIO()) == "json"
    assert resolve_format("json", _Tty()) == "json"
    assert resolve_format("TEXT", io.StringIO()) == "text"


def test_text_lines_keep_the_message_readable_and_redact_secrets():
    record = logging.makeLogRecord({"name": "yourmusic.mail", "levelno": logging.INFO, "levelname": "INFO",
                                    "msg": "mail to=%s\n%s", "args": ("a@example.com", "Your code: 123456"),
                                    "client_secret": "s3cret", "tenant": "demo"})
    line = TextFormatter().format(record)
    assert "INFO yourmusic.mail mail to=a@example.com\nYour code: 123456" in line
    assert "tenant=demo" in line and "s3cret" not in line and "client_secret=[redacted]" in line
    assert json.loads(JsonFormatter().format(record))["msg"].endswith("Your code: 123456")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite", reason="the embedded default: one run")
def test_serve_in_a_terminal(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "AGGREGATOR_URL", "SELF_URL", "LOG_FORMAT", "SMTP_URL",
                        "PROFILE", "STREAMING_URL", "STRIPE_API_BASE"}}
    env["PYTHONPATH"] = str(ROOT)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, b"".join(chunks).decode(errors="replace")
            time.sleep(0.3)
        creds = json.loads(re.search(r"\{[^{}]*\"client_secret\"[^{}]*\}", b"".join(chunks).decode(), re.S).group(0))
        email = "ada@example.com"
        r = httpx.post(f"{base}/api/auth/otp/request", json={"tenant": creds["tenant"], "email": email})
        assert r.status_code == 200, r.text
        mail = None
        for _ in range(50):
            mails = httpx.get(f"{base}/_dev/outbox").json()["mails"]
            mail = next((m for m in mails if m["to"] == email), None)
            if mail:
                break
            time.sleep(0.1)
        assert mail and re.fullmatch(r"\d{6}", mail["code"])
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        reader.join(timeout=5)
        os.close(master)
    output = b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")

    # The URLs, printed at the start.
    for path in ("/", "/graphql", "/docs", "/docs/try", "/openapi.json", "/healthz", "/readyz", "/_dev/outbox",
                 "/_sandbox/aggregator/_sandbox/stats", "/_sandbox/stripe/_sandbox/events"):
        assert re.search(rf"\s{re.escape(base + path)}\n", output), (path, output[:3000])
    assert f"YourMusic API on {base}/" in output
    # Text logs in a terminal: no JSON line, the access line and the mail readable, its code on a line of its own.
    lines = [line for line in output.splitlines() if line.strip()]
    assert not [line for line in lines if line.startswith('{"ts"')], output[:3000]
    assert any(" INFO yourmusic.access POST /api/auth/otp/request 200" in line for line in lines)
    assert any(line.strip() == mail["code"] or line.strip().endswith(mail["code"]) for line in lines), output[-3000:]
