"""Test controls for the sandbox: request counters and fault injection.

Tests and benchmarks need to know how many upstream calls the product made
(cache effectiveness) and to make the upstream misbehave (resilience), both
in-process (``app.state.sandbox``) and over HTTP when it runs elsewhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

API_PREFIX = "/1.2/"


def normalize_path(path: str) -> str:
    """Endpoint key as used by counters: "/1.2/track/details/batch" -> "track/details/batch"."""
    path = path.strip().strip("/")
    if path.startswith("1.2/"):
        path = path[len("1.2/") :]
    return path


class SandboxControl:
    """Mutable per-app counters and fault settings.

    ``counts`` holds catalogue requests (every call to a keyed ``/1.2``
    endpoint, whatever its outcome, faulty ones included) by endpoint key.
    Faults apply to every ``/1.2`` endpoint (``status`` included) unless
    ``paths`` restricts them.
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.latency: float = 0.0
        self.fail_status: int | None = None
        self.garbage: bool = False
        self.paths: set[str] | None = None
        # Subscriber play logs received (POST /1.2/user/subscription/log): accepted items by their id,
        # and how many times each id arrived (so "exactly once" is provable), and OAuth nonces seen.
        self.plays: dict[str, dict[str, Any]] = {}
        self.play_arrivals: Counter[str] = Counter()
        self.nonces: set[str] = set()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        """Clear counters and faults (the usual per-test starting point)."""
        self.counts.clear()
        self.clear_faults()
        self.plays.clear()
        self.play_arrivals.clear()
        self.nonces.clear()

    def clear_faults(self) -> None:
        self.latency = 0.0
        self.fail_status = None
        self.garbage = False
        self.paths = None

    def set_faults(
        self,
        *,
        latency: float = 0.0,
        fail_status: int | None = None,
        garbage: bool = False,
        paths: Iterable[str] | None = None,
    ) -> None:
        """Replace the whole fault configuration (unspecified faults are cleared)."""
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
            raise ValueError("latency must be a number of seconds >= 0")
        if fail_status is not None and (
            isinstance(fail_status, bool) or not isinstance(fail_status, int) or not 100 <= fail_status <= 599
        ):
            raise ValueError("fail_status must be an HTTP status code (100..599) or null")
        if not isinstance(garbage, bool):
            raise ValueError("garbage must be a boolean")
        if paths is not None:
            if isinstance(paths, str) or not all(isinstance(p, str) for p in paths):
                raise ValueError("paths must be a list of endpoint paths or null")
            paths = {normalize_path(p) for p in paths}
        self.latency = float(latency)
        self.fail_status = fail_status
        self.garbage = garbage
        self.paths = paths

    def faults(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "fail_status": self.fail_status,
            "garbage": self.garbage,
            "paths": sorted(self.paths) if self.paths is not None else None,
        }

    def applies_to(self, endpoint: str) -> bool:
        return self.paths is None or endpoint in self.paths

    def play_stats(self) -> dict[str, Any]:
        return {"accepted": len(self.plays), "arrivals": sum(self.play_arrivals.values()),
                "duplicates": sum(n - 1 for n in self.play_arrivals.values() if n > 1)}

    def stats(self) -> dict[str, Any]:
        return {"total": self.total, "counts": dict(sorted(self.counts.items()))}
