"""Shared bench plumbing: start a real `yourmusic serve` on a free port, a bounded load loop, and a
throwaway migrated PostgreSQL database bound to Tortoise."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.request
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of process `pid` so far, in seconds (/proc/PID/task/*/schedstat: nanosecond
    resolution; a thread that just ended is skipped)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total / 1e9


@dataclass
class Server:
    url: str
    env: dict[str, str]
    proc: subprocess.Popen
    cwd: str | None = None

    def cli(self, *args: str) -> dict:
        out = subprocess.run([sys.executable, "-m", "yourmusic.cli", *args], env=self.env, cwd=self.cwd,
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)


@contextlib.contextmanager
def serve(workers: int = 1, extra_env: dict[str, str] | None = None, cwd: str | None = None) -> Iterator[Server]:
    """`yourmusic serve` on a temporary SQLite file (or DATABASE_URL from the environment); `cwd`: the code
    tree to serve (`python -m` puts the working directory first on sys.path, before PYTHONPATH)."""
    tmp = Path(tempfile.mkdtemp(prefix="ym-bench-"))
    env = {**os.environ, "DATA_DIR": str(tmp), "SEED_DEMO": "false", **(extra_env or {})}
    env.setdefault("DATABASE_URL", f"sqlite://{tmp / 'bench.sqlite3'}")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield Server(url=url, env=env, proc=proc, cwd=cwd)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000 if data else float("nan")

    def row(self) -> str:
        return (f"{self.name:<34} {self.rps:>9.0f} req/s   p50 {self.pct(0.50):6.2f} ms   "
                f"p99 {self.pct(0.99):6.2f} ms   errors {self.errors}")


async def load(name: str, request: Callable[[aiohttp.ClientSession], Awaitable[int]], *,
               concurrency: int = 16, seconds: float = 5.0, warmup: float = 1.0) -> Result:
    """Closed-loop load: `concurrency` workers each send back-to-back requests for `seconds`."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        end_warm = time.monotonic() + warmup
        while time.monotonic() < end_warm:
            await request(session)
        latencies: list[float] = []
        errors = 0
        stop = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                status = await request(session)
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    errors += 1

        t0 = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Result(name, len(latencies), errors, time.monotonic() - t0, latencies)


def summary(results: list[Result]) -> None:
    print(f"{'case':<34} {'throughput':>14}   {'latency':>12}")
    for r in results:
        print(r.row())
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores, median of run: "
          f"{statistics.median([r.rps for r in results]):.0f} req/s)")


def http_json(method: str, url: str, body: dict | None = None,
              headers: dict[str, str] | None = None) -> tuple[float, dict]:
    """One JSON request with urllib: (milliseconds taken, decoded body or {} when empty)."""
    req = urllib.request.Request(url, method=method, headers={"content-type": "application/json", **(headers or {})},
                                 data=json.dumps(body).encode() if body is not None else None)
    t0 = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        raw = r.read()
    return (time.perf_counter() - t0) * 1000, json.loads(raw) if raw else {}


def post_json(url: str, body: dict, headers: dict[str, str] | None = None) -> dict:
    return http_json("POST", url, body, headers)[1]


def get_bytes(url: str, headers: dict[str, str] | None = None) -> bytes:
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})).read()


@contextlib.asynccontextmanager
async def orm_database(pg: str, prefix: str) -> AsyncIterator[str]:
    """A throwaway PostgreSQL database (`prefix`_<hex> on the server `pg`, e.g. postgres://postgres@host:5432),
    migrated by the code on PYTHONPATH and bound to Tortoise with the app's configuration for the block;
    yields its URL, then closes the connections and drops it."""
    import asyncpg
    from tortoise import Tortoise, connections

    from yourmusic.db import migrate, tortoise_config

    db = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg + "/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{db}"')
        url = f"{pg}/{db}"
        try:
            await migrate(url)
            await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
            yield url
        finally:
            await connections.close_all()
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        await admin.close()
