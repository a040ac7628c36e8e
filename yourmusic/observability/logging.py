"""Logs: structured JSON (one object per line) or readable text, with the request id of the request served.

`LOG_FORMAT`: `json`, `text`, or `auto` (the default): text when stderr is a terminal (a person reads it),
JSON otherwise (a pipe, a file, a container runtime collects it). `resolve_format()` makes that choice.

`configure_logging()` installs the formatter on the root logger (and uvicorn's loggers), and
`uvicorn_log_config()` hands the same setup to uvicorn, which applies it in every worker process.
Nothing here logs headers, bodies or query strings: the access line (middleware.py) carries the
method, the path without its query, the route template, status, duration, tenant and principal kind.
A token, OTP code or secret therefore never reaches the log through this module; the few `extra`
keys that look like secrets are redacted as a last line of defence.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

import orjson

request_id_var: ContextVar[str | None] = ContextVar("yourmusic_request_id", default=None)

# LogRecord's own attributes: everything else on a record came in through `extra=` and is emitted.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message", "taskName"}
_SECRET_WORDS = ("authorization", "token", "secret", "password", "code", "cookie", "otp", "signature")
REDACTED = "[redacted]"


def redact(key: str, value: Any) -> Any:
    lowered = key.lower()
    if any(word in lowered for word in _SECRET_WORDS) and lowered not in SAFE_KEYS:
        return REDACTED
    return value


SAFE_KEYS = frozenset({"status_code"})


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's request id (of the request being served) and its `extra=` keys, redacted."""
    out: dict[str, Any] = {}
    rid = request_id_var.get()  # set by the middleware
    if rid is not None:
        out["request_id"] = rid  # an explicit `extra={"request_id": ...}` below wins
    for key, value in record.__dict__.items():
        if key not in _RESERVED and not key.startswith("_"):
            out[key] = redact(key, value)
    return out


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "request_id"?, ...extra, "exc"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(_fields(record))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        return orjson.dumps(out, default=str).decode()


def access_line(message: str, fields: dict[str, Any]) -> str:
    """One access line exactly as JsonFormatter would render it for logger `yourmusic.access`."""
    out: dict[str, Any] = {"ts": _iso(time.time()), "level": "info", "logger": "yourmusic.access", "msg": message}
    out.update(fields)
    return orjson.dumps(out, default=str).decode() + "\n"


def _iso(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class TextFormatter(logging.Formatter):
    """`2026-11-30 10:00:00,123 INFO yourmusic.access GET /api/users 200 key=value ...`: the message as
    written (a logged mail keeps its line breaks, so its sign-in code is plain to see), then the request id
    and the `extra=` fields it does not already show (redacted like the JSON ones), then the traceback."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        said = set(record.message.split())  # fields the message already shows are not repeated, nor empty ones
        extra = " ".join(f"{key}={value}" for key, value in _fields(record).items()
                         if value is not None and str(value) not in said)
        return f"{line} {extra}" if extra else line


def resolve_format(fmt: str | None, stream: Any = None) -> str:
    """`json` or `text`: as set, or for `auto` (and anything else) text when `stream` (stderr) is a terminal."""
    chosen = (fmt or "auto").strip().lower()
    if chosen in ("json", "text"):
        return chosen
    stream = sys.stderr if stream is None else stream
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return "json"


def uvicorn_log_config(fmt: str = "auto", level: str = "info") -> dict[str, Any]:
    """A dictConfig for uvicorn's `log_config=` (applied in each worker): our formatter everywhere."""
    formatter: dict[str, Any] = (
        {"()": "yourmusic.observability.logging.JsonFormatter"} if resolve_format(fmt) == "json"
        else {"()": "yourmusic.observability.logging.TextFormatter"}
    )
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default",
                                 "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's loggers propagate to the root handler; its access log is replaced by ours.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    """For the CLI's own process (migrate, tenant create, ...); `serve` hands the same to uvicorn."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if resolve_format(fmt) == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
