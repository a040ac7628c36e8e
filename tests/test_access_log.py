"""The access line written directly equals the one `logging` + JsonFormatter would write."""

from __future__ import annotations

import io
import json
import logging

from yourmusic.observability.logging import JsonFormatter, access_line
from yourmusic.observability.middleware import _access_stream, access_log

FIELDS = {"request_id": "r1", "method": "GET", "path": "/api/x", "route": "/api/x", "status": 200,
          "duration_ms": 1.5, "tenant": None, "principal": "client"}


def test_direct_line_matches_the_formatter():
    via_logging = io.StringIO()
    handler = logging.StreamHandler(via_logging)
    handler.setFormatter(JsonFormatter())
    record = access_log.makeRecord(access_log.name, logging.INFO, __file__, 1, "GET /api/x 200", (), None,
                                   extra=FIELDS)
    handler.emit(record)
    a, b = json.loads(via_logging.getvalue()), json.loads(access_line("GET /api/x 200", FIELDS))
    a.pop("ts"), b.pop("ts")
    assert a == b


def test_direct_writing_only_for_one_plain_json_stream_handler():
    saved = (access_log.handlers[:], access_log.propagate)
    try:
        access_log.handlers[:] = []
        access_log.propagate = False
        assert _access_stream() is None  # no handler at all: logging decides
        stream = io.StringIO()
        plain = logging.StreamHandler(stream)
        plain.setFormatter(JsonFormatter())
        access_log.addHandler(plain)
        assert _access_stream() is stream
        plain.setFormatter(logging.Formatter("%(message)s"))  # another format: through logging
        assert _access_stream() is None
    finally:
        access_log.handlers[:], access_log.propagate = saved
