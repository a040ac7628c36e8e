"""Serve the sandbox with uvicorn (``python -m yourmusic.integrations.aggregator.sandbox``)."""

from __future__ import annotations

import argparse

from .app import create_app


def run(host: str = "127.0.0.1", port: int = 8765, *, consumer_key: str | None = None, log_level: str = "warning") -> None:
    """Block serving the sandbox; uvicorn is imported lazily so tests need not load it."""
    import uvicorn

    uvicorn.run(create_app(consumer_key=consumer_key), host=host, port=port, log_level=log_level, access_log=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="7digital 1.2-style aggregator sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--consumer-key", default=None, help="require this exact oauth_consumer_key")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    run(args.host, args.port, consumer_key=args.consumer_key, log_level=args.log_level)
