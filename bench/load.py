"""Load test (issue 9): wrk on loopback, 200 connections for 60 s, a realistic mix against
`yourmusic serve --workers 2` on PostgreSQL + Redis (a throwaway cluster and Redis of their own).

Mix per request (each connection acts as one of the seeded users, UDT auth):
  25% GET /api/home, 40% catalog reads (GET /api/tracks/{1..600}, /api/releases/{1..100}),
  15% GET /api/me, 20% playlist edits (POST a track to the user's playlist, or PUT its 10 tracks).
Prints rps, p50/p99, the status counts (5xx must be 0), and each worker's RSS after warm-up and after
the run. Usage: .venv/bin/python bench/load.py [--seconds 60] [--connections 200] [--users 200]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import rss_mb, seed, stack  # noqa: E402

LUA = r"""
local tokens = %(tokens)s
local playlists = %(playlists)s
local counter = 0
statuses = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
threads = {}

function init(args)
  math.randomseed(os.time() + id * 7919)
  statuses = {}
  n = 0
end

function request()
  n = n + 1
  local u = ((id * 1000003 + n) %% #tokens) + 1
  local h = {["Authorization"] = "Bearer " .. tokens[u], ["Content-Type"] = "application/json"}
  local r = math.random(100)
  if r <= 25 then
    return wrk.format("GET", "/api/home", h)
  elseif r <= 55 then
    return wrk.format("GET", "/api/tracks/" .. math.random(600), h)
  elseif r <= 65 then
    return wrk.format("GET", "/api/releases/" .. math.random(100), h)
  elseif r <= 80 then
    return wrk.format("GET", "/api/me", h)
  elseif r <= 92 then
    return wrk.format("POST", "/api/playlists/" .. playlists[u] .. "/tracks", h,
                      '{"track_id":"' .. math.random(600) .. '"}')
  else
    local body = '{"tracks":['
    for i = 1, 10 do
      body = body .. '{"track_id":"' .. math.random(600) .. '"}' .. (i < 10 and "," or "")
    end
    return wrk.format("PUT", "/api/playlists/" .. playlists[u] .. "/tracks", h, body .. "]}")
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, '"' .. k .. '":' .. v) end
  io.write("STATUSES {" .. table.concat(parts, ",") .. "}\n")
  io.write(string.format("LATENCY p50=%%d p90=%%d p99=%%d max=%%d\n", latency:percentile(50), latency:percentile(90),
           latency:percentile(99), latency.max))
end
"""


def wrk(url: str, script: str, seconds: int, connections: int, threads: int = 2) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                           "-s", fh.name, url], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"wrk failed: {out.stdout}{out.stderr}")
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    with stack(workers=2) as s:
        t0 = time.monotonic()
        data = seed(s, args.users)
        print(f"seeded {args.users} users in {time.monotonic() - t0:.1f}s", flush=True)
        script = LUA % {"tokens": "{" + ",".join(json.dumps(t) for t in data["tokens"]) + "}",
                        "playlists": "{" + ",".join(json.dumps(p) for p in data["playlists"]) + "}"}
        workers = s.app.worker_pids()
        wrk(s.url, script, args.warmup, args.connections)
        before = {pid: rss_mb(pid) for pid in workers}
        out = wrk(s.url, script, args.seconds, args.connections)
        after = {pid: rss_mb(pid) for pid in workers}
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        total = int(re.search(r"(\d+) requests in", out).group(1))
        statuses = json.loads(re.search(r"STATUSES (\{.*\})", out).group(1))
        lat = dict(re.findall(r"(p50|p90|p99|max)=(\d+)", out))
        sock = re.search(r"Socket errors: .*", out)
        rows = s.pg.psql("SELECT count(*) FROM playlist_tracks") if True else ""
        print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, 2 workers, PostgreSQL + Redis, {args.users} users")
        print(f"requests {total}, {rps:.0f} req/s, p50 {int(lat['p50']) / 1000:.2f} ms, p90 {int(lat['p90']) / 1000:.2f} ms, "
              f"p99 {int(lat['p99']) / 1000:.2f} ms, max {int(lat['max']) / 1000:.1f} ms")
        print(f"statuses {dict(sorted(statuses.items()))}; 5xx: {sum(v for k, v in statuses.items() if k.startswith('5'))}")
        print(f"socket errors: {sock.group(0) if sock else 'none'}; playlist rows now {rows}")
        for pid in workers:
            print(f"worker {pid}: RSS {before[pid]:.1f} MB after warm-up -> {after[pid]:.1f} MB after the run "
                  f"({after[pid] - before[pid]:+.1f} MB)")


if __name__ == "__main__":
    main()
