"""Issue 17.9: cold start. How long from `yourmusic serve` to the first 200 of `/healthz`, and what imports cost.

Prints the median of N fresh processes for: `import yourmusic.app`; `serve` to the first `/healthz` on a
new SQLite database (migrations applied) and again on the migrated one; then the heaviest imports of
`import yourmusic.app` (`python -X importtime`, cumulative) and whether the SDKs meant to load on first
use (stripe, av, aiosmtplib) were imported at start.
Usage: .venv/bin/python bench/coldstart.py [--n 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import free_port  # noqa: E402

LAZY = ("stripe", "av", "aiosmtplib")


def import_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import yourmusic.app"], check=True)
    return time.perf_counter() - t0


def healthz_seconds(data_dir: Path) -> float:
    """Wall time from spawning `yourmusic serve` to its first 200 on /healthz (the process is then stopped)."""
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(data_dir), "SEED_DEMO": "false", "LOG_LEVEL": "warning",
           "DATABASE_URL": f"sqlite://{data_dir / 'cold.sqlite3'}"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("no /healthz within 60 s")
    finally:
        proc.terminate()
        proc.wait(20)


def heaviest_imports(top: int) -> tuple[list[tuple[int, str]], set[str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import yourmusic.app"], capture_output=True,
                         text=True, check=True).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        rows.append((int(cumulative), name))
    direct = [(us, name) for us, name in rows if "." not in name]
    return sorted(direct, reverse=True)[:top], {name for _, name in rows}


def main(args: argparse.Namespace) -> None:
    imports = [import_seconds() for _ in range(args.n)]
    fresh, warm = [], []
    for _ in range(args.n):
        with tempfile.TemporaryDirectory(prefix="ym-cold-") as tmp:
            fresh.append(healthz_seconds(Path(tmp)))
            warm.append(healthz_seconds(Path(tmp)))
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores shared: figures are noisy; median of {args.n})")
    print(f"| {'step':<52} | {'seconds':>7} |\n|{'-' * 54}|{'-' * 8}:|")
    print(f"| {'import yourmusic.app':<52} | {statistics.median(imports):>7.2f} |")
    print(f"| {'serve -> first /healthz 200, new SQLite (migrations)':<52} | {statistics.median(fresh):>7.2f} |")
    print(f"| {'serve -> first /healthz 200, migrated database':<52} | {statistics.median(warm):>7.2f} |")
    top, names = heaviest_imports(args.top)
    print("\nHeaviest top-level packages under `import yourmusic.app` (cumulative ms, first importer pays):")
    print(", ".join(f"{name} {us / 1000:.0f}" for us, name in top))
    print("Imported at start, meant for first use: " + (", ".join(m for m in LAZY if m in names) or "none"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    main(parser.parse_args())
