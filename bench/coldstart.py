"""Issue 17.9: cold start. How long from `yourmusic serve` to the first 200 of `/healthz`, and what imports cost.

Prints the median of N fresh processes for: `import yourmusic.app`; `serve` to the first `/healthz` on a
new SQLite database (migrations applied) and again on the migrated one; then the heaviest imports of
`import yourmusic.app` (`python -X importtime`, cumulative) and whether the SDKs meant to load on first
use (stripe, av, aiosmtplib, aiohttp) were imported at start.
`--trees A,B` measures several code trees (each run in its directory with it as PYTHONPATH, e.g. a checkout
of main and this one) in the same rounds, alternating, and prints each beside the first: a before/after under
the same load.
Usage: .venv/bin/python bench/coldstart.py [--n 5] [--trees /tmp/main,.]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import cpu_seconds, free_port  # noqa: E402

LAZY = ("stripe", "av", "aiosmtplib", "aiohttp")


def tree_env(tree: str | None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": tree} if tree else dict(os.environ)


def import_seconds(tree: str | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of `python -c "import yourmusic.app"`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import yourmusic.app"], check=True, cwd=tree, env=tree_env(tree))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def healthz_seconds(data_dir: Path, tree: str | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds from spawning `yourmusic serve` to its first 200 on /healthz (the process is then
    stopped); CPU: the server process's own, far less sensitive than wall time to what else the machine runs."""
    port = free_port()
    env = {**tree_env(tree), "DATA_DIR": str(data_dir), "SEED_DEMO": "false", "LOG_LEVEL": "warning",
           "DATABASE_URL": f"sqlite://{data_dir / 'cold.sqlite3'}"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "yourmusic.cli", "serve", "--port", str(port)], env=env,
                            cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0, cpu_seconds(proc.pid)
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("no /healthz within 60 s")
    finally:
        proc.terminate()
        proc.wait(20)


def heaviest_imports(top: int, tree: str | None = None) -> tuple[list[tuple[int, str]], set[str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import yourmusic.app"], capture_output=True,
                         text=True, check=True, cwd=tree, env=tree_env(tree)).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        rows.append((int(cumulative), name))
    direct = [(us, name) for us, name in rows if "." not in name]
    return sorted(direct, reverse=True)[:top], {name for _, name in rows}


def main(args: argparse.Namespace) -> None:
    trees: list[str | None] = list(args.trees.split(",")) if args.trees else [None]
    imports: dict[str | None, list[tuple[float, float]]] = {t: [] for t in trees}
    fresh: dict[str | None, list[tuple[float, float]]] = {t: [] for t in trees}
    warm: dict[str | None, list[tuple[float, float]]] = {t: [] for t in trees}
    for i in range(args.n):
        for tree in trees[i % len(trees):] + trees[:i % len(trees)]:  # the first to go alternates
            imports[tree].append(import_seconds(tree))
            with tempfile.TemporaryDirectory(prefix="ym-cold-") as tmp:
                fresh[tree].append(healthz_seconds(Path(tmp), tree))
                warm[tree].append(healthz_seconds(Path(tmp), tree))
    load = os.getloadavg()
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores shared, load average {load[0]:.2f} {load[1]:.2f}: "
          f"wall times are noisy under load, CPU times (the process's own) much less; median of {args.n}"
          + (", trees alternating in each round)" if len(trees) > 1 else ")"))
    first = trees[0]
    for tree in trees:
        if len(trees) > 1:
            print(f"\n{tree}" + ("" if tree == first else f" (ratios: this tree / {first})"))
        other = tree != first
        print(f"| {'step':<52} | {'wall s':>6} |" + (f" {'ratio':>5} |" if other else "") + f" {'CPU s':>5} |"
              + (f" {'ratio':>5} |" if other else ""))
        print(f"|{'-' * 54}|{'-' * 7}:|" + (f"{'-' * 6}:|" if other else "") + f"{'-' * 6}:|"
              + (f"{'-' * 6}:|" if other else ""))
        for name, got in (("import yourmusic.app", imports),
                          ("serve -> first /healthz 200, new SQLite (migrations)", fresh),
                          ("serve -> first /healthz 200, migrated database", warm)):
            wall, cpu = (statistics.median(x[k] for x in got[tree]) for k in (0, 1))
            base_wall, base_cpu = (statistics.median(x[k] for x in got[first]) for k in (0, 1))
            print(f"| {name:<52} | {wall:>6.2f} |" + (f" {wall / base_wall:>5.2f} |" if other else "")
                  + f" {cpu:>5.2f} |" + (f" {cpu / base_cpu:>5.2f} |" if other else ""))
    for tree in trees:
        top, names = heaviest_imports(args.top, tree)
        print(f"\nHeaviest top-level packages under `import yourmusic.app`{' in ' + tree if tree else ''} "
              f"(cumulative ms, first importer pays):")
        print(", ".join(f"{name} {us / 1000:.0f}" for us, name in top))
        print("Imported at start, meant for first use: " + (", ".join(m for m in LAZY if m in names) or "none"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--trees", default="", help="comma-separated code trees measured side by side")
    main(parser.parse_args())
