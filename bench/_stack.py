"""A throwaway production-like stack for the load and fault benches: a PostgreSQL cluster of its own
(initdb into a temp dir, run as the postgres user), a Redis of its own on another port, the aggregator
sandbox as a separate process, and `yourmusic serve --workers N` on top. Nothing touches the machine's
shared PostgreSQL or Redis, so the benches can stop and restart them freely."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"{name} not found (apt-get install postgresql)")
    return found[-1]


def _as_postgres(*args: str) -> list[str]:
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in args)] if os.geteuid() == 0 else list(args)


@dataclass
class Postgres:
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/yourmusic"

    def start(self) -> None:
        subprocess.run(_as_postgres(_pg_bin("pg_ctl"), "-D", str(self.root / "data"), "-l", str(self.root / "pg.log"),
                                    "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                                          f"-c max_connections=200 -c fsync=on", "-w", "start"),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_postgres(_pg_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop"),
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, sql: str) -> str:
        out = subprocess.run([_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
                              "yourmusic", "-Atc", sql], capture_output=True, text=True, check=True)
        return out.stdout.strip()


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    root = Path(tempfile.mkdtemp(prefix="ym-pg-"))
    os.chmod(root, 0o777)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(_as_postgres(_pg_bin("initdb"), "--auth=trust", "-U", "postgres", "-D", str(root / "data")),
                   check=True, stdout=subprocess.DEVNULL)
    pg = Postgres(root, free_port())
    pg.start()
    subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "yourmusic"], check=True)
    try:
        yield pg
    finally:
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Redis:
    port: int
    dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir),
                        "--pidfile", str(self.dir / "redis.pid"), "--logfile", str(self.dir / "redis.log")], check=True)
        wait_port(self.port, 10)

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextlib.contextmanager
def redis() -> Iterator[Redis]:
    r = Redis(free_port(), Path(tempfile.mkdtemp(prefix="ym-redis-")))
    r.start()
    try:
        yield r
    finally:
        r.stop()
        shutil.rmtree(r.dir, ignore_errors=True)


@dataclass
class Process:
    args: list[str]
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> None:
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=open(self.log, "a"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if wait:
            wait_port(self.port)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (children of the serve process)."""
        assert self.proc is not None
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True).stdout
        pids = [int(p) for p in out.split()]
        workers = []
        for pid in pids:
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"multiprocessing" in cmd and b"resource_tracker" not in cmd:
                    workers.append(pid)
        return workers or pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Stack:
    pg: Postgres
    redis: Redis
    aggregator: Process
    app: Process
    env: dict[str, str]
    tmp: Path
    data: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    def cli(self, *args: str) -> dict:
        out = subprocess.run([sys.executable, "-m", "yourmusic.cli", *args], env=self.env, capture_output=True,
                             text=True, check=True)
        return json.loads(out.stdout)


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@contextlib.contextmanager
def stack(workers: int = 2, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    tmp = Path(tempfile.mkdtemp(prefix="ym-stack-"))
    with postgres() as pg, redis() as rd:
        agg_port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        aggregator = Process([sys.executable, "-m", "yourmusic.cli", "sandbox", "aggregator", "--port", str(agg_port)],
                             env, agg_port, tmp / "aggregator.log")
        aggregator.start()
        port = free_port()
        env.update({"DATABASE_URL": pg.url, "REDIS_URL": rd.url, "CACHE_NAMESPACE": f"bench-{uuid.uuid4().hex[:6]}",
                    "DATA_DIR": str(tmp / "data"), "SEED_DEMO": "false",
                    "AGGREGATOR_URL": f"http://127.0.0.1:{agg_port}/1.2", "UDT_TTL": "3600",
                    "LOG_LEVEL": "warning", **(extra_env or {})})
        app = Process([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port), "--workers", str(workers)],
                      env, port, tmp / "app.log")
        app.start()
        s = Stack(pg, rd, aggregator, app, env, tmp)
        try:
            yield s
        finally:
            app.terminate()
            aggregator.kill()
            shutil.rmtree(tmp, ignore_errors=True)


def seed(s: Stack, users: int = 100) -> dict:
    """A tenant with a home page, `users` users each with a UDT and a playlist of 10 tracks."""
    s.cli("tenant", "create", "bench")
    creds = s.cli("client", "create", "--tenant", "bench")
    _, tok = call("POST", f"{s.url}/api/oauth/token", {"grant_type": "client_credentials", **creds})
    client = tok["access_token"]
    from yourmusic.services.home import DEMO_PAGE  # noqa: PLC0415 - the demo page: a realistic home

    status, _ = call("PUT", f"{s.url}/api/home", DEMO_PAGE if isinstance(DEMO_PAGE, dict) else {"modules": DEMO_PAGE},
                     client)
    tokens, playlists = [], []
    for i in range(users):
        _, user = call("POST", f"{s.url}/api/users", {"first_name": "Load", "last_name": f"U{i}",
                                                      "email": f"load{i}@example.com", "date_of_birth": "1990-01-01"},
                       client)
        _, udt = call("POST", f"{s.url}/api/users/{user['id']}/udt", {"deviceId": str(uuid.uuid4())}, client)
        _, pl = call("POST", f"{s.url}/api/playlists", {"playlist_name": f"Load {i}"}, udt["token"])
        call("PUT", f"{s.url}/api/playlists/{pl['id']}/tracks", {"tracks": [{"track_id": str(t)} for t in range(1, 11)]},
             udt["token"])
        tokens.append(udt["token"])
        playlists.append(pl["id"])
    return {"client": client, "tokens": tokens, "playlists": playlists, "home_status": status}
