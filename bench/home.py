"""Issue 6: GET /api/home on the seeded demo page, cold (first request) and warm.

Usage: .venv/bin/python bench/home.py [--n 50] [--seconds 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import http_json, serve  # noqa: E402
from _wrk import HEADER, run  # noqa: E402


def main(args: argparse.Namespace) -> None:
    with serve(workers=1, extra_env={"SEED_DEMO": "true"}) as server:
        base = server.url
        guest = {"X-Tenant": "demo"}
        cold_guest, page = http_json("GET", f"{base}/api/home", None, guest)
        assert len(page["modules"]) == 6, page
        warm_guest = statistics.median(http_json("GET", f"{base}/api/home", None, guest)[0] for _ in range(args.n))
        creds = server.cli("client", "create", "--tenant", "demo")
        _, tok = http_json("POST", f"{base}/api/oauth/token", {"grant_type": "client_credentials", **creds})
        client = {"Authorization": f"Bearer {tok['access_token']}"}
        _, user = http_json("POST", f"{base}/api/users", {"first_name": "B", "last_name": "U",
                                                          "email": "home@example.com", "date_of_birth": "1990-01-01"},
                            client)
        _, udt = http_json("POST", f"{base}/api/users/{user['id']}/udt", {"deviceId": str(uuid.uuid4())}, client)
        signed = {"Authorization": f"Bearer {udt['token']}"}
        first_user, _ = http_json("GET", f"{base}/api/home", None, signed)
        warm_user = statistics.median(http_json("GET", f"{base}/api/home", None, signed)[0] for _ in range(args.n))
        guest_load = run("GET /api/home guest (warm, shared cache)", f"{base}/api/home", headers=guest,
                         seconds=args.seconds)
        user_load = run("GET /api/home signed in (warm entities)", f"{base}/api/home", headers=signed,
                        seconds=args.seconds)
    print(f"| {'case':<44} | {'ms':>8} |")
    print(f"|{'-' * 46}|{'-' * 9}:|")
    for name, ms in (("guest, cold (first request after start)", cold_guest),
                     (f"guest, warm (median of {args.n})", warm_guest),
                     ("signed in, first request (entities warm)", first_user),
                     (f"signed in, warm (median of {args.n})", warm_user)):
        print(f"| {name:<44} | {ms:>8.1f} |")
    print()
    print(HEADER)
    print(guest_load.row())
    print(user_load.row())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=8)
    main(parser.parse_args())
