"""Prometheus metrics (prometheus-client), one registry per process.

Several uvicorn workers: `yourmusic serve --workers N` (N > 1) turns on prometheus-client's
multiprocess mode, each worker writing its samples to PROMETHEUS_MULTIPROC_DIR (memory-mapped files,
wiped at start), so `/metrics` answered by any worker shows the sum over the instance's workers.
One worker: the plain in-process registry. Either way one scrape per instance (pod) is the truth for
that instance. The environment variable must be set before prometheus_client is imported, which the
CLI does before uvicorn starts the workers.

Label values are bounded: routes are templates (`/api/tracks/{id}`), never raw paths; an unmatched
path is `unmatched`; GraphQL operation names are capped at MAX_OPERATION_NAMES distinct values per
process (then `_other`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from yourmusic.observability.metrics_env import MULTIPROC_ENV


_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter("yourmusic_http_requests_total", "HTTP requests answered, by route template, method and status.",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("yourmusic_http_request_duration_seconds", "HTTP request latency by route template and method.",
                          ["method", "route"], buckets=_LATENCY)
GRAPHQL_OPERATIONS = Counter("yourmusic_graphql_operations_total",
                             "GraphQL requests answered on /graphql (every one, refused ones too), by operation name, "
                             "type (unknown: refused before an operation was chosen) and outcome (ok|error).",
                             ["operation", "type", "outcome"])
GRAPHQL_DURATION = Histogram("yourmusic_graphql_operation_duration_seconds", "GraphQL execution latency by operation name.",
                             ["operation"], buckets=_LATENCY)
UPSTREAM_REQUESTS = Counter("yourmusic_upstream_requests_total",
                            "Upstream HTTP attempts by integration and outcome "
                            "(ok, answered = upstream refused the question, retryable, failed, timeout, "
                            "short_circuited = refused by the open circuit).",
                            ["integration", "outcome"])
UPSTREAM_DURATION = Histogram("yourmusic_upstream_request_duration_seconds", "Upstream HTTP attempt latency by integration.",
                              ["integration"], buckets=_LATENCY)
CACHE_REQUESTS = Counter("yourmusic_cache_requests_total",
                         "Shared-cache lookups by result (hit, miss, stale = expired entry served on an upstream "
                         "failure, error = cache unreachable).", ["result"])
DATALOADER_BATCH = Histogram("yourmusic_dataloader_batch_size", "Keys per dataloader batch call, by loader.",
                             ["loader"], buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500))
BREAKER_STATE = Gauge("yourmusic_circuit_breaker_state",
                      "Circuit breaker state by integration: 0 closed, 1 half-open, 2 open (worst worker).",
                      ["integration"], multiprocess_mode="livemax")

CACHE_HIT = CACHE_REQUESTS.labels("hit")
CACHE_MISS = CACHE_REQUESTS.labels("miss")
CACHE_STALE = CACHE_REQUESTS.labels("stale")
CACHE_ERROR = CACHE_REQUESTS.labels("error")

BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}

MAX_OPERATION_NAMES = 256
_NAME_RE = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return "anonymous"
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES or not _NAME_RE.fullmatch(name):
        return "_other"
    _operation_names.add(name)
    return name


_graphql_children: dict[tuple[str | None, str, bool], tuple[Any, Any]] = {}


def observe_graphql(operation: str | None, kind: str, ok: bool, seconds: float) -> None:
    """One GraphQL request: its operation name (bounded), type (or `unknown`: refused before one was
    chosen), outcome and duration. Label children are cached (labels() locks and builds a tuple)."""
    key = (operation, kind, ok)
    children = _graphql_children.get(key)
    if children is None:
        label = operation_label(operation)
        children = (GRAPHQL_OPERATIONS.labels(label, kind, "ok" if ok else "error"), GRAPHQL_DURATION.labels(label))
        if len(_graphql_children) < 4 * MAX_OPERATION_NAMES:
            _graphql_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_upstream(integration: str, outcome: str, seconds: float | None = None) -> None:
    UPSTREAM_REQUESTS.labels(integration, outcome).inc()
    if seconds is not None:
        UPSTREAM_DURATION.labels(integration).observe(seconds)


def observe_batch(loader: str, size: int) -> None:
    DATALOADER_BATCH.labels(loader).observe(size)


def set_breaker_state(integration: str, state: str) -> None:
    BREAKER_STATE.labels(integration).set(BREAKER_VALUES.get(state, 0))


class HttpMetrics:
    """Per-route children cached (labels() takes a lock and builds a tuple on every call)."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = HTTP_REQUESTS.labels(method, route, str(status))
        counter.inc()
        hkey = (method, route)
        histogram = self._histograms.get(hkey)
        if histogram is None:
            histogram = self._histograms[hkey] = HTTP_DURATION.labels(method, route)
        histogram.observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def render() -> tuple[bytes, str]:
    """The exposition text: this process's registry, or every worker's samples in multiprocess mode."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exit() -> None:
    """A worker stops: drop its live gauges from the aggregate."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
