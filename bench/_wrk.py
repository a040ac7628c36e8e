"""wrk (Debian package `wrk`) as the load generator: the bench's own Python never competes as a client."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class WrkResult:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def row(self) -> str:
        return (f"| {self.name:<44} | {self.rps:>9.0f} | {self.p50_ms:>7.2f} | {self.p99_ms:>7.2f} | "
                f"{self.errors:>6} |")


HEADER = (f"| {'case':<44} | {'req/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'non-2xx':>6} |\n"
          f"|{'-' * 46}|{'-' * 11}:|{'-' * 9}:|{'-' * 9}:|{'-' * 8}:|")


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def require_wrk() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    return path


def run(name: str, url: str, *, seconds: int = 10, connections: int = 32, threads: int = 1,
        method: str = "GET", body: dict | None = None, headers: dict[str, str] | None = None) -> WrkResult:
    script = "wrk.method = %s\n" % json.dumps(method)
    if body is not None:
        script += "wrk.body = %s\n" % json.dumps(json.dumps(body))
    for k, v in (headers or {}).items():
        script += "wrk.headers[%s] = %s\n" % (json.dumps(k), json.dumps(v))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run([require_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", "-s", fh.name, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    return WrkResult(name, rps, p50, p99, total, errors)
