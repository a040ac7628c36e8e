"""Real HTTP servers for the tests: a Starlette app under uvicorn in its own thread and event loop."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ThreadedServer:
    app: Any
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(app: Any, port: int | None = None) -> ThreadedServer:
    """Serve `app` on loopback; returns once it accepts connections."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    return ThreadedServer(app=app, port=port, server=server, thread=thread)


def start_process(args: Sequence[str], port: int, log: Path, *, cwd: Path | str | None = None,
                  env: dict[str, str] | None = None, timeout: float = 60,
                  ready: str = "/healthz") -> subprocess.Popen:
    """Run a server command with its output in `log`; returns once GET `ready` answers 200.

    Fails the calling test with the log's tail when the server exits or never answers.
    """
    import pytest

    out = open(log, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not start:\n" + Path(log).read_text()[-3000:])


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
